//! The service traits on the shared database: reads of other apps' tables, as DTOs.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::contracts::dtos::{
    CalendarDto, CartSummary, EventDto, Money, NavItemDto, ProductDto, Role, SubscriptionDto,
    UserDto,
};
use crate::contracts::protocols::{
    Calendar, Carts, Catalog, Navigation, Newsletters, Publications, ServiceResult, UserDirectory,
};
use crate::contracts::sellable::{SellableDto, SellableRef, Sellables};
use crate::db::DbPool;
use crate::models::cart::CartOwner;
use crate::models::market::Product;
use crate::models::{account, blog, cart, events, users};

pub struct DbServices {
    pub(super) pool: DbPool,
}

impl DbServices {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }
}

impl From<users::User> for UserDto {
    fn from(u: users::User) -> Self {
        UserDto {
            id: u.id,
            role: Role::parse(&u.role),
            username: u.username,
            email: u.email,
            display_name: u.display_name,
            avatar_url: u.avatar_url,
        }
    }
}

impl From<Product> for ProductDto {
    fn from(p: Product) -> Self {
        ProductDto {
            id: p.id,
            slug: p.slug,
            title: p.title,
            price: Money {
                cents: p.price_cents,
                currency: p.currency,
            },
            image_url: p.image_url,
            in_stock: p.stock > 0,
        }
    }
}

impl From<events::Event> for EventDto {
    fn from(e: events::Event) -> Self {
        EventDto {
            slug: e.slug,
            title: e.title,
            location: e.location,
            starts_at: e.starts_at,
            ends_at: e.ends_at,
        }
    }
}

#[async_trait]
impl UserDirectory for DbServices {
    async fn user(&self, id: i64) -> ServiceResult<Option<UserDto>> {
        let mut conn = self.pool.get().await?;
        Ok(users::active_by_id(&mut conn, id).await?.map(UserDto::from))
    }

    async fn member_count(&self) -> ServiceResult<i64> {
        let mut conn = self.pool.get().await?;
        Ok(users::count(&mut conn).await?)
    }

    async fn unread_notifications(&self, user_id: i64, cap: i64) -> ServiceResult<i64> {
        let mut conn = self.pool.get().await?;
        Ok(users::unread_notifications(&mut conn, user_id, cap).await?)
    }

    async fn writers(&self) -> ServiceResult<Vec<UserDto>> {
        let mut conn = self.pool.get().await?;
        Ok(users::writers(&mut conn)
            .await?
            .into_iter()
            .map(UserDto::from)
            .collect())
    }

    async fn imported_author(
        &self,
        username: &str,
        display_name: &str,
        bio: &str,
        avatar_url: Option<&str>,
    ) -> ServiceResult<i64> {
        let mut conn = self.pool.get().await?;
        Ok(users::imported_author(&mut conn, username, display_name, bio, avatar_url).await?)
    }
}

#[async_trait]
impl Navigation for DbServices {
    async fn menu(&self, menu: &str) -> ServiceResult<Vec<NavItemDto>> {
        let mut conn = self.pool.get().await?;
        let items = blog::menu(&mut conn, menu).await?;
        Ok(items
            .into_iter()
            .map(|i| NavItemDto {
                label: i.label,
                url: i.url,
            })
            .collect())
    }
}

#[async_trait]
impl Publications for DbServices {
    async fn published_count(&self) -> ServiceResult<i64> {
        let mut conn = self.pool.get().await?;
        Ok(blog::published_count(&mut conn).await?)
    }
}

#[async_trait]
impl Catalog for DbServices {
    async fn product_by_slug(&self, slug: &str) -> ServiceResult<Option<ProductDto>> {
        let mut conn = self.pool.get().await?;
        Ok(crate::models::market::by_slug(&mut conn, slug)
            .await?
            .map(ProductDto::from))
    }

    async fn products_by_ids(&self, ids: &[i64]) -> ServiceResult<Vec<ProductDto>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get().await?;
        let rows = crate::models::market::by_ids(&mut conn, ids).await?;
        Ok(rows.into_iter().map(ProductDto::from).collect())
    }
}

#[async_trait]
impl Carts for DbServices {
    async fn summary(&self, owner: &CartOwner) -> ServiceResult<CartSummary> {
        let items = {
            let mut conn = self.pool.get().await?;
            match cart::find(&mut conn, owner).await? {
                Some(c) => cart::items(&mut conn, c.id).await?,
                None => return Ok(CartSummary::default()),
            }
        };
        // Prices are the sellers' (a line whose item is gone counts for nothing).
        let refs: Vec<SellableRef> = items.iter().filter_map(|i| i.item()).collect();
        let sellables: HashMap<SellableRef, SellableDto> = self
            .sellables(&refs)
            .await?
            .into_iter()
            .map(|s| (s.item, s))
            .collect();
        Ok(CartSummary::of(items.iter().filter_map(|i| {
            let item = i.item()?;
            sellables.get(&item).map(|s| (i.quantity, &s.unit_price))
        })))
    }
}

impl From<events::Calendar> for CalendarDto {
    fn from(c: events::Calendar) -> Self {
        CalendarDto {
            slug: c.slug,
            name: c.name,
        }
    }
}

#[async_trait]
impl Calendar for DbServices {
    async fn upcoming(&self, limit: i64) -> ServiceResult<Vec<EventDto>> {
        let mut conn = self.pool.get().await?;
        let rows = events::upcoming(&mut conn, chrono::Utc::now(), limit).await?;
        Ok(rows.into_iter().map(EventDto::from).collect())
    }

    async fn calendars(&self) -> ServiceResult<Vec<CalendarDto>> {
        let mut conn = self.pool.get().await?;
        let rows = events::calendars(&mut conn).await?;
        Ok(rows.into_iter().map(CalendarDto::from).collect())
    }

    async fn calendar(&self, slug: &str) -> ServiceResult<Option<CalendarDto>> {
        let mut conn = self.pool.get().await?;
        Ok(events::calendar_by_slug(&mut conn, slug)
            .await?
            .map(CalendarDto::from))
    }
}

#[async_trait]
impl Newsletters for DbServices {
    async fn subscriptions_of(&self, user_id: i64) -> ServiceResult<Vec<SubscriptionDto>> {
        let mut conn = self.pool.get().await?;
        let rows = account::subscriptions_of_user(&mut conn, user_id).await?;
        Ok(rows
            .into_iter()
            .map(|(s, n)| SubscriptionDto {
                newsletter_slug: n.slug,
                newsletter_name: n.name,
                status: s.status,
            })
            .collect())
    }
}
