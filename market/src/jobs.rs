//! The market's jobs: releasing stock reservations that expired unpaid, and importing the
//! addresses of a bulk import ([`ImportProduct`], in `domain::imports`). The job type lives in
//! `shared::services` because the `Inventory` implementation enqueues it (for each
//! reservation's expiry, in the reservation's transaction); the market runs it.

use shared::AppContext;
use shared::jobs::JobRegistry;
use shared::services::ReleaseExpiredStock;

use crate::domain::imports::ImportProduct;

pub fn registry() -> JobRegistry<AppContext> {
    JobRegistry::new()
        .register::<ReleaseExpiredStock>()
        .register::<ImportProduct>()
}
