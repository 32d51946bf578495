//! `/internal/*` refuses requests without a valid internal credential.

use shared::AppName;
use shared::infrastructure::internal_auth::{self, HEADER};

use crate::support::{TestFleet, page};

#[actix_web::test]
async fn fragments_need_a_valid_fresh_credential() {
    let t = TestFleet::start().await;
    let secret = t.fleet.ctx(AppName::Blog).config().internal_secret.clone();
    let path = "/internal/fragments/nav";
    let url = t.fleet.at(AppName::Blog, path);
    let now = internal_auth::unix_now();
    let cases = [
        ("none", None, 401),
        ("garbage", Some("v1 t=1 s=zz".to_owned()), 403),
        (
            "wrong secret",
            Some(internal_auth::sign(
                &shared::config::Secret::new("not-the-fleet-secret!"),
                "GET",
                path,
                now,
            )),
            403,
        ),
        (
            "other path",
            Some(internal_auth::sign(
                &secret,
                "GET",
                "/internal/fragments/other",
                now,
            )),
            403,
        ),
        (
            "expired",
            Some(internal_auth::sign(&secret, "GET", path, now - 120)),
            403,
        ),
        (
            "valid",
            Some(internal_auth::sign(&secret, "GET", path, now)),
            200,
        ),
    ];
    for (what, header, expected) in cases {
        let mut req = t.client.get(&url);
        if let Some(h) = header {
            req = req.header(HEADER, h);
        }
        let res = page(req.send().await.unwrap()).await;
        assert_eq!(res.status, expected, "{what}: {}", res.body);
    }
    // Every app guards its fragments the same way.
    for app in [
        AppName::Market,
        AppName::Cart,
        AppName::Events,
        AppName::Account,
    ] {
        let res = t.get(app, "/internal/fragments/anything", None).await;
        assert_eq!(res.status, 401, "{app}");
    }
    t.stop().await;
}
