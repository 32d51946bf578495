//! The market service: what visitors see (drafts only to their stall's owners) and who may
//! change what (administrators make stalls and name owners; owners edit their stall and its
//! products; anyone else is refused and nothing changes).

use diesel_async::AsyncPgConnection;
use shared::config::Config;
use shared::contracts::protocols::Calendar;
use shared::db::DbPool;
use shared::infrastructure::slug::{self, Resolved};
use shared::models::market::{Product, ProductImage, ProductOption, Stall, Variant, status};

use super::form::{ProductForm, StallForm};
use super::{MarketError, federate};
use crate::db::products::{self, Filter};
use crate::db::stalls::{self, StallFields};

/// Who is asking: a signed-in member and whether they run the site.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub id: i64,
    pub admin: bool,
}

pub struct StallPage {
    pub stall: Stall,
    pub owners: Vec<String>,
    pub products: Vec<Product>,
    pub can_edit: bool,
}

pub struct ProductPage {
    pub product: Product,
    pub stall: Option<Stall>,
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
    pub images: Vec<ProductImage>,
    pub can_edit: bool,
}

pub struct Home {
    pub stalls: Vec<Stall>,
    pub products: Vec<Product>,
    pub total: i64,
    pub facets: products::Facets,
}

pub struct Market<'a> {
    pool: &'a DbPool,
}

/// Unique-slug clashes are the user's to fix; other database errors stay as they are.
fn taken(what: &str) -> impl Fn(diesel::result::Error) -> MarketError + '_ {
    move |e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => MarketError::Taken(what.to_owned()),
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::CheckViolation,
            info,
        ) => MarketError::Invalid(format!(
            "That breaks a rule ({}).",
            info.constraint_name().unwrap_or("check")
        )),
        other => MarketError::Db(other),
    }
}

async fn may_edit(
    conn: &mut AsyncPgConnection,
    stall_id: Option<i64>,
    actor: Option<Actor>,
) -> Result<bool, MarketError> {
    Ok(match (actor, stall_id) {
        (None, _) => false,
        (Some(a), _) if a.admin => true,
        (Some(a), Some(stall)) => stalls::is_owner(conn, stall, a.id).await?,
        (Some(_), None) => false,
    })
}

impl<'a> Market<'a> {
    pub fn new(pool: &'a DbPool) -> Self {
        Market { pool }
    }

    pub(crate) fn pool(&self) -> &'a DbPool {
        self.pool
    }

    /// The home page's lists for `filter`, which [`Market::count`] found `total` products for.
    pub async fn home(
        &self,
        filter: &Filter,
        total: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Home, MarketError> {
        let mut conn = self.pool.get().await?;
        use diesel_async::AsyncConnection;
        conn.transaction(async |conn| {
            products::search_settings(conn).await?;
            Ok(Home {
                stalls: stalls::all(conn).await?,
                total,
                products: products::list(conn, filter, limit, offset).await?,
                facets: products::facets(conn, filter).await?,
            })
        })
        .await
    }

    pub async fn count(&self, filter: &Filter) -> Result<i64, MarketError> {
        let mut conn = self.pool.get().await?;
        use diesel_async::AsyncConnection;
        conn.transaction(async |conn| {
            products::search_settings(conn).await?;
            Ok(products::count(conn, filter).await?)
        })
        .await
    }

    pub async fn stall_id(&self, slug: &str) -> Result<i64, MarketError> {
        let mut conn = self.pool.get().await?;
        Ok(stalls::by_slug(&mut conn, slug)
            .await?
            .ok_or(MarketError::NoSuchStall)?
            .id)
    }

    pub async fn stall(&self, slug: &str, actor: Option<Actor>) -> Result<StallPage, MarketError> {
        let mut conn = self.pool.get().await?;
        let stall = stalls::by_slug(&mut conn, slug)
            .await?
            .ok_or(MarketError::NoSuchStall)?;
        let can_edit = may_edit(&mut conn, Some(stall.id), actor).await?;
        let mut listed = products::of_stall(&mut conn, stall.id).await?;
        if !can_edit {
            listed.retain(Product::is_active);
        }
        Ok(StallPage {
            owners: stalls::owner_names(&mut conn, stall.id).await?,
            stall,
            products: listed,
            can_edit,
        })
    }

    /// The stalls trading on calendar `slug`'s days (at most `limit`), each with how many
    /// products it has on sale.
    pub async fn stalls_of_calendar(
        &self,
        slug: &str,
        limit: i64,
    ) -> Result<Vec<(Stall, usize)>, MarketError> {
        let mut conn = self.pool.get().await?;
        let found = stalls::of_calendar(&mut conn, slug, limit).await?;
        let ids: Vec<i64> = found.iter().map(|s| s.id).collect();
        let counts = products::active_counts(&mut conn, &ids).await?;
        Ok(found
            .into_iter()
            .map(|stall| {
                let on_sale = counts
                    .iter()
                    .find(|(id, _)| *id == Some(stall.id))
                    .map_or(0, |(_, n)| usize::try_from(*n).unwrap_or(0));
                (stall, on_sale)
            })
            .collect())
    }

    /// The slug of stall `id`, if it still exists.
    pub async fn stall_slug(&self, id: i64) -> Result<Option<String>, MarketError> {
        let mut conn = self.pool.get().await?;
        Ok(stalls::by_id(&mut conn, id).await?.map(|s| s.slug))
    }

    /// A stall its owner (or an administrator) may edit; [`MarketError::NotOwner`] otherwise.
    pub async fn editable_stall(&self, slug: &str, actor: Actor) -> Result<Stall, MarketError> {
        let mut conn = self.pool.get().await?;
        let stall = stalls::by_slug(&mut conn, slug)
            .await?
            .ok_or(MarketError::NoSuchStall)?;
        if !may_edit(&mut conn, Some(stall.id), Some(actor)).await? {
            return Err(MarketError::NotOwner);
        }
        Ok(stall)
    }

    /// A product page, or where its slug moved to. Drafts and archived products are shown
    /// only to those who may edit them.
    pub async fn product(
        &self,
        slug: &str,
        actor: Option<Actor>,
    ) -> Result<Resolved<ProductPage, String>, MarketError> {
        let mut conn = self.pool.get().await?;
        let found = slug::resolve(
            &mut *conn,
            slug,
            async |c, s| products::by_slug(c, s).await,
            async |c, s| products::moved_from(c, s).await,
        )
        .await?;
        let product = match found {
            Resolved::Current(p) => p,
            Resolved::Moved(to) => return Ok(Resolved::Moved(to)),
            Resolved::Missing => return Err(MarketError::NoSuchProduct),
        };
        let can_edit = may_edit(&mut conn, product.stall_id, actor).await?;
        if !product.is_active() && !can_edit {
            return Err(MarketError::NoSuchProduct);
        }
        let stall = match product.stall_id {
            Some(id) => stalls::by_id(&mut conn, id).await?,
            None => None,
        };
        Ok(Resolved::Current(ProductPage {
            options: products::options_of(&mut conn, product.id).await?,
            variants: products::variants_of(&mut conn, product.id).await?,
            images: products::images_of(&mut conn, product.id).await?,
            product,
            stall,
            can_edit,
        }))
    }

    /// A product its stall's owner (or an administrator) may edit.
    pub async fn editable_product(
        &self,
        slug: &str,
        actor: Actor,
    ) -> Result<ProductPage, MarketError> {
        match self.product(slug, Some(actor)).await? {
            Resolved::Current(page) if page.can_edit => Ok(page),
            Resolved::Current(_) => Err(MarketError::NotOwner),
            _ => Err(MarketError::NoSuchProduct),
        }
    }

    /// Checks that the calendar a stall's form links to exists, asking the events app's
    /// `Calendar` contract (its calendars are not the market's to read).
    async fn check_calendar(calendars: &dyn Calendar, form: &StallForm) -> Result<(), MarketError> {
        let Some(slug) = form.calendar_slug() else {
            return Ok(());
        };
        match calendars.calendar(slug).await? {
            Some(_) => Ok(()),
            None => Err(MarketError::Invalid(format!(
                "There is no calendar called “{slug}”."
            ))),
        }
    }

    /// Shows one of the product's own images (`image`, by id; `None`: none) on its variant
    /// `variant`. A variant of another product is not found; another product's image is
    /// refused. Nothing changes either way.
    pub async fn set_variant_image(
        &self,
        actor: Actor,
        slug: &str,
        variant: i64,
        image: Option<i64>,
    ) -> Result<(), MarketError> {
        let page = self.editable_product(slug, actor).await?;
        if !page.variants.iter().any(|v| v.id == variant) {
            return Err(MarketError::NoSuchVariant);
        }
        let url = match image {
            None => None,
            Some(id) => Some(
                page.images
                    .iter()
                    .find(|i| i.id == id)
                    .map(|i| i.url.as_str())
                    .ok_or_else(|| {
                        MarketError::Invalid("That image is not one of this product's.".into())
                    })?,
            ),
        };
        let mut conn = self.pool.get().await?;
        products::set_variant_image(&mut conn, variant, url).await?;
        Ok(())
    }

    /// Administrators open a stall and name its owners (usernames that must exist).
    pub async fn create_stall(
        &self,
        actor: Actor,
        calendars: &dyn Calendar,
        form: &StallForm,
    ) -> Result<Stall, MarketError> {
        if !actor.admin {
            return Err(MarketError::NotAdmin);
        }
        let slug = form.check()?;
        Self::check_calendar(calendars, form).await?;
        let names = form.owner_names();
        let mut conn = self.pool.get().await?;
        let found = stalls::user_ids_by_name(&mut conn, &names).await?;
        if let Some(missing) = names.iter().find(|n| !found.iter().any(|(f, _)| f == *n)) {
            return Err(MarketError::Invalid(format!(
                "There is no member called {missing}."
            )));
        }
        use diesel_async::AsyncConnection;
        let fields = fields(form, &slug);
        conn.transaction(async |conn| {
            let stall = stalls::insert(conn, &fields).await.map_err(taken(&slug))?;
            for (_, user_id) in &found {
                stalls::add_owner(conn, stall.id, *user_id).await?;
            }
            Ok(stall)
        })
        .await
    }

    pub async fn update_stall(
        &self,
        actor: Actor,
        calendars: &dyn Calendar,
        slug: &str,
        form: &StallForm,
    ) -> Result<Stall, MarketError> {
        let stall = self.editable_stall(slug, actor).await?;
        let new_slug = form.check()?;
        Self::check_calendar(calendars, form).await?;
        let mut conn = self.pool.get().await?;
        stalls::update(&mut conn, stall.id, &fields(form, &new_slug))
            .await
            .map_err(taken(&new_slug))
    }

    /// Adds a product to a stall; one that goes live at once is announced (`Create`) in the
    /// same transaction.
    pub async fn create_product(
        &self,
        config: &Config,
        actor: Actor,
        stall_slug: &str,
        form: &ProductForm,
    ) -> Result<Product, MarketError> {
        let stall = self.editable_stall(stall_slug, actor).await?;
        let draft = form.draft()?;
        let mut conn = self.pool.get().await?;
        use diesel_async::AsyncConnection;
        conn.transaction(async |conn| {
            let saved = products::insert(conn, stall.id, &draft)
                .await
                .map_err(taken(&draft.slug))?;
            federate_change(conn, config, None, &saved).await?;
            Ok(saved)
        })
        .await
    }

    /// Rewrites a product from its owner's form; what that means to the fediverse (`Create`
    /// when it goes live, `Update` when a live one changes, `Delete` when it is archived or
    /// back to draft) is recorded in the same transaction.
    pub async fn update_product(
        &self,
        config: &Config,
        actor: Actor,
        slug: &str,
        form: &ProductForm,
    ) -> Result<Product, MarketError> {
        let page = self.editable_product(slug, actor).await?;
        let draft = form.draft()?;
        let mut conn = self.pool.get().await?;
        use diesel_async::AsyncConnection;
        conn.transaction(async |conn| {
            let current = products::for_update(conn, page.product.id)
                .await?
                .ok_or(MarketError::NoSuchProduct)?;
            let saved = products::update(conn, &current, &draft)
                .await
                .map_err(taken(&draft.slug))?;
            federate_change(conn, config, Some(&current.status), &saved).await?;
            Ok(saved)
        })
        .await
    }

    /// Deletes a product (its owners or an administrator); a live one leaves a Tombstone
    /// (`Delete`, in the same transaction). Refused while a checkout holds its stock.
    pub async fn delete_product(
        &self,
        config: &Config,
        actor: Actor,
        slug: &str,
    ) -> Result<Product, MarketError> {
        let page = self.editable_product(slug, actor).await?;
        let mut conn = self.pool.get().await?;
        use diesel_async::AsyncConnection;
        conn.transaction(async |conn| {
            let current = products::for_update(conn, page.product.id)
                .await?
                .ok_or(MarketError::NoSuchProduct)?;
            if products::has_held_stock(conn, current.id).await? {
                return Err(MarketError::StockHeld);
            }
            federate::deleted(conn, config, &current).await?;
            products::delete(conn, current.id).await?;
            Ok(current)
        })
        .await
    }
}

/// Records the federation of a saved product (see [`federate::change`]).
pub(super) async fn federate_change(
    conn: &mut AsyncPgConnection,
    config: &Config,
    before: Option<&str>,
    saved: &Product,
) -> Result<(), MarketError> {
    if before != Some(status::ACTIVE) && !saved.is_active() {
        return Ok(());
    }
    let variants = products::variants_of(conn, saved.id).await?;
    let images = products::images_of(conn, saved.id).await?;
    let listing = federate::Listing {
        product: saved,
        variants: &variants,
        images: &images,
    };
    federate::change(conn, config, before, &listing).await?;
    Ok(())
}

fn fields<'f>(form: &'f StallForm, slug: &'f str) -> StallFields<'f> {
    let image = form.image_url.trim();
    StallFields {
        calendar_slug: form.calendar_slug(),
        slug,
        name: form.name.trim(),
        description: form.description.trim(),
        image_url: (!image.is_empty()).then_some(image),
        contact: form.contact.trim(),
        location: form.location.trim(),
    }
}
