//! A product's images as its owners manage them from the edit page: uploads (stored through
//! shared media by the route, after the same owner check) added at the end with their alt
//! text, described and moved, deleted. Each change is one transaction with what it means to
//! the fediverse (a live product's `Update` carries its first image).

use diesel_async::{AsyncConnection, AsyncPgConnection};
use shared::config::Config;
use shared::models::market::Product;

use super::MarketError;
use super::market::{Actor, Market, federate_change};
use crate::db::images;
use crate::db::products::{self, ImageDraft};

/// Most images a product has.
pub const MAX_IMAGES: usize = 12;
/// Longest alt text (as a post's image, Mastodon's limit).
pub const MAX_ALT_CHARS: usize = 1500;

/// An alt text as typed: trimmed, at most [`MAX_ALT_CHARS`].
pub fn alt_text(typed: &str) -> Result<String, MarketError> {
    let alt = typed.trim();
    if alt.chars().count() > MAX_ALT_CHARS {
        return Err(MarketError::Invalid(format!(
            "An image description is at most {MAX_ALT_CHARS} characters."
        )));
    }
    Ok(alt.to_owned())
}

/// Whether `more` images fit on a product that has `now` (checked before anything is stored,
/// and again when they are added).
pub fn room_for(now: usize, more: usize) -> Result<(), MarketError> {
    if now + more > MAX_IMAGES {
        return Err(MarketError::Invalid(format!(
            "A product has at most {MAX_IMAGES} images."
        )));
    }
    Ok(())
}

/// One change to a product's images.
enum Change<'c> {
    Add(&'c [ImageDraft]),
    Describe {
        image_id: i64,
        alt: &'c str,
        position: usize,
    },
    Delete(i64),
}

impl Change<'_> {
    /// Applies the change to product `id`; false when it names no image of the product.
    async fn apply(&self, conn: &mut AsyncPgConnection, id: i64) -> Result<bool, MarketError> {
        Ok(match *self {
            Change::Add(added) => {
                room_for(products::images_of(conn, id).await?.len(), added.len())?;
                images::append(conn, id, added).await?;
                true
            }
            Change::Describe {
                image_id,
                alt,
                position,
            } => images::describe_and_move(conn, id, image_id, alt, position).await?,
            Change::Delete(image_id) => images::delete(conn, id, image_id).await?,
        })
    }
}

impl Market<'_> {
    /// Adds stored images to a product its actor may edit.
    pub async fn add_images(
        &self,
        config: &Config,
        actor: Actor,
        slug: &str,
        added: &[ImageDraft],
    ) -> Result<Product, MarketError> {
        self.change_images(config, actor, slug, Change::Add(added))
            .await
    }

    /// Describes one of a product's images and moves it to `position` (0-based).
    pub async fn describe_image(
        &self,
        config: &Config,
        actor: Actor,
        slug: &str,
        image_id: i64,
        alt: &str,
        position: usize,
    ) -> Result<Product, MarketError> {
        let alt = alt_text(alt)?;
        let change = Change::Describe {
            image_id,
            alt: &alt,
            position,
        };
        self.change_images(config, actor, slug, change).await
    }

    /// Deletes one of a product's images.
    pub async fn delete_image(
        &self,
        config: &Config,
        actor: Actor,
        slug: &str,
        image_id: i64,
    ) -> Result<Product, MarketError> {
        self.change_images(config, actor, slug, Change::Delete(image_id))
            .await
    }

    /// Makes `change` to the locked product (owners only); then the product as saved,
    /// federated as an edit.
    async fn change_images(
        &self,
        config: &Config,
        actor: Actor,
        slug: &str,
        change: Change<'_>,
    ) -> Result<Product, MarketError> {
        let page = self.editable_product(slug, actor).await?;
        let mut conn = self.pool().get().await?;
        conn.transaction(async |conn| {
            let current = products::for_update(conn, page.product.id)
                .await?
                .ok_or(MarketError::NoSuchProduct)?;
            if !change.apply(conn, current.id).await? {
                return Err(MarketError::NoSuchImage);
            }
            let saved = products::for_update(conn, current.id)
                .await?
                .ok_or(MarketError::NoSuchProduct)?;
            federate_change(conn, config, Some(&current.status), &saved).await?;
            Ok(saved)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alt_text_is_trimmed_and_capped() {
        assert_eq!(alt_text("  A red hat \n").unwrap(), "A red hat");
        assert!(alt_text(&"é".repeat(MAX_ALT_CHARS)).is_ok());
        assert!(matches!(
            alt_text(&"é".repeat(MAX_ALT_CHARS + 1)),
            Err(MarketError::Invalid(_))
        ));
    }

    #[test]
    fn a_product_holds_at_most_twelve_images() {
        assert!(room_for(0, MAX_IMAGES).is_ok());
        assert!(room_for(MAX_IMAGES - 1, 1).is_ok());
        assert!(room_for(MAX_IMAGES - 1, 2).is_err());
        assert!(room_for(MAX_IMAGES, 1).is_err());
    }
}
