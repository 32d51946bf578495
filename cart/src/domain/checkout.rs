//! Checkout: a cart becomes one order, however many times it is asked (a double click, a
//! retried POST, two tabs).
//!
//! 1. The idempotency key is the cart's id and version (`cart-<id>-v<version>`): a change to
//!    the lines makes a new version, so a new key; the same content asked twice is one key.
//! 2. Stock is reserved through the `Inventory` contract under that key (idempotent: a second
//!    call answers the first reservation), all lines or none; a refusal is "sold out" and
//!    nothing is written.
//! 3. One transaction locks the cart (concurrent checkouts of it queue here), inserts the
//!    order (`ON CONFLICT (idempotency_key) DO NOTHING`), snapshots each line's title and unit
//!    price, writes the history, freezes the cart and queues the order's expiry job.
//! 4. Only then is the SumUp checkout created, with the order's reference as
//!    `checkout_reference`; a crash before we record it is recovered on the next try by
//!    SumUp's `409 DUPLICATED_CHECKOUT` and a read by reference.
//!
//! A crash between 2 and 3 leaves a reservation no order names; the retry finds it by the
//! same key, and if nobody retries it expires.

use chrono::{Duration, Utc};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use shared::contracts::inventory::{Refusal, StockLine};
use shared::jobs::{self, Enqueue};
use shared::models::cart::{self, CartOwner};
use shared::{AppContext, AppName};

use super::CartError;
use super::lines::{self, CartView};
use super::state::{Actor, OrderState};
use crate::db::orders::{self, NewOrder, Order, OrderLine};
use crate::jobs::ExpireOrder;
use crate::state::CartState;
use crate::sumup::{HostedCheckout, NewCheckout, to_major};

/// A reservation outlives its order by this much, so the order's own expiry (which first
/// deactivates the SumUp checkout) always runs before the market's sweep could release the
/// stock of an order still being paid.
const RESERVATION_GRACE_MINUTES: i64 = 5;

/// A line's title as the buyer knows it.
fn title_of(line: &lines::Line) -> String {
    line.sellable
        .as_ref()
        .map_or_else(|| "An item".into(), |s| s.title.clone())
}

/// The checkout form: who to send the receipt to, and how the goods reach them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub fulfilment: String,
    #[serde(default)]
    pub address: String,
}

/// The contact details, checked.
#[derive(Debug, Clone)]
pub struct Contact {
    pub email: String,
    pub name: String,
    pub fulfilment: &'static str,
    pub address: String,
}

impl ContactForm {
    /// Checks the form; a member's own address stands in for an empty e-mail field.
    pub fn check(&self, member_email: Option<&str>) -> Result<Contact, CartError> {
        let email = match self.email.trim() {
            "" => member_email.unwrap_or_default().to_owned(),
            given => given.to_owned(),
        }
        .to_ascii_lowercase();
        if !shared::contracts::email::is_valid(&email) {
            return Err(CartError::Invalid(
                "Give an e-mail address for the receipt.".into(),
            ));
        }
        let name = self.name.trim().to_owned();
        if name.chars().count() > 200 {
            return Err(CartError::Invalid("That name is too long.".into()));
        }
        let fulfilment = match self.fulfilment.trim() {
            "" | "collection" => "collection",
            "delivery" => "delivery",
            _ => return Err(CartError::Invalid("Choose collection or delivery.".into())),
        };
        let address = self.address.trim().to_owned();
        if fulfilment == "delivery" && address.is_empty() {
            return Err(CartError::Invalid("Give an address to deliver to.".into()));
        }
        if address.chars().count() > 1000 {
            return Err(CartError::Invalid("That address is too long.".into()));
        }
        Ok(Contact {
            email,
            name,
            fulfilment,
            address,
        })
    }
}

/// `RA-` and twelve letters or digits: the order's public name and SumUp's reference.
fn new_reference() -> Result<String, CartError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes =
        shared::crypto::random_bytes::<12>().map_err(|e| CartError::Crypto(e.to_string()))?;
    Ok(format!(
        "RA-{}",
        bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect::<String>()
    ))
}

/// The token of an order's signed link (a guest's way back to it): an HMAC of the reference
/// under the fleet's secret, so the receipt job can rebuild it and only its digest is stored.
pub fn access_token(ctx: &AppContext, reference: &str) -> Result<String, CartError> {
    let mac = shared::crypto::hmac_sha256(
        ctx.config().internal_secret.expose().as_bytes(),
        format!("order-access:{reference}").as_bytes(),
    )
    .map_err(|e| CartError::Crypto(e.to_string()))?;
    Ok(hex::encode(mac))
}

/// Whether `token` opens `order`.
pub fn token_opens(order: &Order, token: &str) -> bool {
    let digest = shared::crypto::token_digest(token);
    shared::crypto::constant_time_eq(digest.as_bytes(), order.access_digest.as_bytes())
}

/// The order page's signed address.
pub fn order_link(ctx: &AppContext, order: &Order) -> Result<String, CartError> {
    let token = access_token(ctx, &order.reference)?;
    Ok(ctx.url(
        AppName::Cart,
        &format!("/orders/{}?token={token}", order.reference),
    ))
}

/// Turns the owner's cart into an order (or finds the one it already became).
pub async fn place(
    ctx: &AppContext,
    state: &CartState,
    owner: &CartOwner,
    user_id: Option<i64>,
    contact: &Contact,
) -> Result<Order, CartError> {
    if state.sumup.is_none() {
        return Err(CartError::PaymentsClosed);
    }
    let view: CartView = lines::view(ctx, owner).await?;
    let cart = view.cart.clone().ok_or(CartError::Empty)?;
    // Already in checkout (a second tab, a double click after the first landed).
    if let Some(order_id) = cart.checkout_order_id {
        let mut conn = ctx.db().get().await?;
        if let Some(order) = orders::by_id(&mut conn, order_id).await? {
            return Ok(order);
        }
    }
    // An order made under this key has frozen the cart (above); a cancelled one thawed it
    // with a new version, so a new key. The reservation and the insert below are idempotent
    // by key for the races in between.
    let key = format!("cart-{}-v{}", cart.id, cart.version);
    if view.lines.is_empty() {
        return Err(CartError::Empty);
    }
    // Sold out since the cart was shown (others bought the last ones): say so, as the
    // reservation below would, rather than "review your cart".
    if let Some(line) = view
        .lines
        .iter()
        .find(|l| l.flag == Some(lines::Flag::SoldOut))
    {
        return Err(CartError::SoldOut(title_of(line)));
    }
    if view.is_flagged() {
        return Err(CartError::Flagged);
    }
    let total = view.total().ok_or(CartError::Empty)?;
    if total.cents <= 0 {
        return Err(CartError::Invalid("There is nothing to pay.".into()));
    }
    let stock: Vec<StockLine> = view
        .lines
        .iter()
        .map(|line| StockLine::new(line.item, line.quantity))
        .collect();
    let now = Utc::now();
    let hold = Duration::from_std(state.config.hold).unwrap_or(Duration::minutes(15));
    let expires_at = now + hold;
    let reserved = ctx
        .registry()
        .inventory
        .reserve(
            &key,
            &stock,
            expires_at + Duration::minutes(RESERVATION_GRACE_MINUTES),
        )
        .await?;
    if let Err(Refusal::OutOfStock { item }) = reserved {
        let title = view
            .lines
            .iter()
            .find(|l| l.item == item)
            .map_or_else(|| "An item".into(), title_of);
        return Err(CartError::SoldOut(title));
    }
    if let Err(other) = reserved {
        return Err(CartError::Invalid(format!(
            "Stock could not be held: {other:?}"
        )));
    }

    let reference = new_reference()?;
    let digest = shared::crypto::token_digest(&access_token(ctx, &reference)?);
    let snapshot: Vec<(i32, String, i64, i32, String)> = view
        .lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let s = l.sellable.as_ref()?;
            Some((
                i as i32,
                s.title.clone(),
                s.unit_price.cents,
                l.quantity,
                l.item.kind.as_str().to_owned(),
            ))
        })
        .collect();
    let version = cart.version;
    let mut conn = ctx.db().get().await?;
    let placed: Result<Order, CartError> = conn
        .transaction(async |conn| {
            let locked = cart::lock(conn, cart.id).await?.ok_or(CartError::Empty)?;
            if let Some(order_id) = locked.checkout_order_id
                && let Some(order) = orders::by_id(conn, order_id).await?
            {
                return Ok(order);
            }
            if locked.version != version {
                // The lines changed while we reserved: this key's reservation is stale.
                return Err(CartError::Flagged);
            }
            let new = NewOrder {
                reference: &reference,
                idempotency_key: &key,
                cart_id: Some(cart.id),
                user_id,
                email: &contact.email,
                contact_name: &contact.name,
                fulfilment: contact.fulfilment,
                address: &contact.address,
                state: OrderState::ArrangingPayment.as_str(),
                currency: &total.currency,
                total_cents: total.cents,
                reservation_key: &key,
                expires_at,
                access_digest: &digest,
            };
            let Some(order) = orders::insert(conn, &new).await? else {
                return orders::by_key(conn, &key)
                    .await?
                    .ok_or(CartError::NoSuchOrder);
            };
            let lines: Vec<OrderLine> = view
                .lines
                .iter()
                .zip(&snapshot)
                .map(|(l, (position, title, cents, quantity, kind))| OrderLine {
                    order_id: order.id,
                    position: *position,
                    kind: kind.clone(),
                    item_id: l.item.id,
                    title: title.clone(),
                    unit_price_cents: *cents,
                    quantity: *quantity,
                })
                .collect();
            orders::insert_lines(conn, &lines).await?;
            orders::record(
                conn,
                order.id,
                None,
                OrderState::ArrangingPayment,
                Actor::Buyer,
                "Checked out; stock held until payment.",
            )
            .await?;
            cart::freeze(conn, cart.id, order.id).await?;
            jobs::enqueue_with(
                conn,
                &ExpireOrder { order_id: order.id },
                Enqueue::default().run_at(expires_at),
            )
            .await?;
            Ok(order)
        })
        .await;
    match placed {
        Ok(order) => Ok(order),
        Err(e) => {
            if matches!(e, CartError::Flagged) {
                // Give back what this attempt held (no order names it).
                let _ = ctx.registry().inventory.release(&key).await;
            }
            Err(e)
        }
    }
}

/// Makes sure the order has its SumUp checkout and returns where to pay. Safe to call again:
/// a checkout already recorded is reused, and one created before a crash is recovered by
/// SumUp's `DUPLICATED_CHECKOUT` and a read by reference.
pub async fn payment_page(
    ctx: &AppContext,
    state: &CartState,
    order: &Order,
) -> Result<String, CartError> {
    let sumup = state.sumup.as_ref().ok_or(CartError::PaymentsClosed)?;
    if order.state() != OrderState::ArrangingPayment {
        return Err(CartError::NotAllowed(order.state().label(), "paid now"));
    }
    if let (Some(_), Some(url)) = (&order.sumup_checkout_id, &order.hosted_checkout_url) {
        return Ok(url.clone());
    }
    let token = access_token(ctx, &order.reference)?;
    let return_url = ctx.url(AppName::Cart, crate::routes::WEBHOOK);
    let redirect_url = ctx.url(
        AppName::Cart,
        &format!("/orders/{}/return?token={token}", order.reference),
    );
    let description = format!("Rose Ash order {}", order.reference);
    let checkout = sumup
        .create_checkout(&NewCheckout {
            checkout_reference: &order.reference,
            amount: to_major(order.total_cents),
            currency: &order.currency,
            merchant_code: sumup.merchant_code(),
            description: &description,
            return_url: &return_url,
            redirect_url: &redirect_url,
            valid_until: order.expires_at.to_rfc3339(),
            hosted_checkout: HostedCheckout { enabled: true },
        })
        .await?;
    let mut conn = ctx.db().get().await?;
    let recorded = match orders::set_checkout(
        &mut conn,
        order.id,
        &checkout.id,
        checkout.hosted_checkout_url.as_deref(),
    )
    .await?
    {
        Some(recorded) => recorded,
        // Another try recorded its checkout first: that one stays.
        None => orders::by_id(&mut conn, order.id)
            .await?
            .ok_or(CartError::NoSuchOrder)?,
    };
    recorded.hosted_checkout_url.ok_or_else(|| {
        CartError::SumUp(crate::sumup::SumUpError::Unexpected(
            "the checkout has no hosted page".into(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_well_formed_and_differ() {
        let a = new_reference().unwrap();
        let b = new_reference().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 15);
        assert!(
            a[3..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn the_contact_form_is_checked() {
        let form = |email: &str, fulfilment: &str, address: &str| ContactForm {
            email: email.into(),
            name: "Ada".into(),
            fulfilment: fulfilment.into(),
            address: address.into(),
        };
        let c = form("", "", "").check(Some("Ada@Example.org")).unwrap();
        assert_eq!(
            (c.email.as_str(), c.fulfilment),
            ("ada@example.org", "collection")
        );
        assert!(form("", "", "").check(None).is_err());
        assert!(form("not mail", "", "").check(None).is_err());
        assert!(form("a@example.org", "delivery", "").check(None).is_err());
        assert!(form("a@example.org", "drone", "").check(None).is_err());
        assert!(
            form("a@example.org", "delivery", "1 Lane")
                .check(None)
                .is_ok()
        );
    }
}
