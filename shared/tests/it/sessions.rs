//! Sessions in Redis: per-app, hashed ids, namespaced keys.

use shared::AppName;
use shared::config::RedisConfig;
use shared::infrastructure::redis::Redis;
use shared::infrastructure::session::{SessionData, SessionStore};
use shared::testing::TestRedis;

#[tokio::test]
async fn sessions_round_trip_per_app_and_store_no_raw_ids() {
    let test_redis = TestRedis::new("sessions").await;
    let redis = Redis::connect(&RedisConfig {
        url: shared::config::Secret::new(test_redis.url.clone()),
        prefix: test_redis.prefix.clone(),
    })
    .await
    .unwrap();
    let url = url::Url::parse("http://blog.localhost:8001/").unwrap();
    let blog = SessionStore::new(redis.clone(), AppName::Blog, &url);
    let cart = SessionStore::new(
        redis,
        AppName::Cart,
        &url::Url::parse("https://cart.example.com/").unwrap(),
    );
    assert_eq!(blog.cookie_name(), "ra_session");
    assert_eq!(
        cart.cookie_name(),
        "__Host-ra_session",
        "https apps use __Host- cookies"
    );
    assert!(cart.cookie("x".into()).secure().unwrap_or(false));

    let data = SessionData::for_user(Some(7)).unwrap();
    let sid = blog.create(&data).await.unwrap();
    assert_eq!(blog.load(&sid).await.unwrap(), Some(data));
    assert_eq!(cart.load(&sid).await.unwrap(), None, "sessions are per app");
    assert!(
        test_redis.keys().iter().all(|k| !k.contains(&sid)),
        "only hashes of ids are stored"
    );
    assert_eq!(blog.load("not-a-session-id").await.unwrap(), None);

    blog.destroy(&sid).await.unwrap();
    assert_eq!(blog.load(&sid).await.unwrap(), None);
}
