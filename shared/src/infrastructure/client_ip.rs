//! The client's IP address, for rate limits and logs.
//!
//! Forwarding headers (`X-Forwarded-For`, `Forwarded`) are written by whoever sends the request,
//! so they are believed only when the TCP peer is a configured proxy (`TRUSTED_PROXIES`). Then
//! the client is the right-most address that is not itself a trusted proxy: every hop to its
//! right was appended by a proxy we trust, everything to its left the client could have forged.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use actix_web::{HttpRequest, web};

use super::app::AppContext;

/// One address or CIDR block, e.g. `10.0.0.0/8`, `192.0.2.7`, `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not an IP address or CIDR block")]
pub struct BadIpNet(String);

impl FromStr for IpNet {
    type Err = BadIpNet;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadIpNet(s.to_owned());
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr = normalize(addr.parse::<IpAddr>().map_err(|_not_an_ip| bad())?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(IpNet { addr, prefix })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, normalize(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose forwarding headers are believed (`TRUSTED_PROXIES`; none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = BadIpNet;

    /// A comma- or space-separated list.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split([',', ' ', '\t', '\n'])
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }
}

/// The client's address: the TCP peer, or, when the peer is a trusted proxy, the right-most
/// untrusted hop of its forwarding header. `None` only when there is no peer (in-memory tests).
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = normalize(req.peer_addr()?.ip());
    let forwarded = || {
        let headers = req.headers();
        let xff: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        if xff.is_empty() {
            headers
                .get_all("forwarded")
                .filter_map(|v| v.to_str().ok())
                .flat_map(forwarded_for)
                .collect::<Vec<_>>()
        } else {
            xff.into_iter()
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .collect()
        }
    };
    Some(resolve(peer, trusted, forwarded))
}

/// [`client_ip`] with the app's `TRUSTED_PROXIES` (none when the request carries no app).
pub fn of_request(req: &HttpRequest) -> Option<IpAddr> {
    static NONE: TrustedProxies = TrustedProxies(Vec::new());
    let ctx = req.app_data::<web::Data<AppContext>>();
    client_ip(req, ctx.map_or(&NONE, |c| &c.config().trusted_proxies))
}

/// The walk itself, apart from actix so it can be tested on its own.
fn resolve<'a>(
    peer: IpAddr,
    trusted: &TrustedProxies,
    hops: impl FnOnce() -> Vec<&'a str>,
) -> IpAddr {
    if !trusted.trusts(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in hops().into_iter().rev() {
        // A hop we cannot read ends the chain: nothing to its left can be checked.
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !trusted.trusts(ip) {
            break;
        }
    }
    client
}

/// The `for=` values of one `Forwarded` header (RFC 7239), in order.
fn forwarded_for(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').filter_map(|element| {
        element.split(';').find_map(|pair| {
            let (key, v) = pair.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("for")
                .then(|| v.trim().trim_matches('"'))
        })
    })
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(normalize(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (ip, _) = rest.split_once(']')?;
        return ip.parse().ok().map(normalize);
    }
    let (ip, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    ip.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket reports) as IPv4.
fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(s: &str) -> TrustedProxies {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_blocks() {
        let net: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.200.3.4")));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.0.0.1")));
        assert!(!net.contains(ip("fd00::1")));
        let one: IpNet = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        let v6: IpNet = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        for bad in ["10.0.0.0/33", "fd00::/129", "caddy", "10.0.0.0/", "/8"] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
        assert_eq!(proxies(" 10.0.0.0/8, 192.0.2.1 ").0.len(), 2);
        assert!(proxies("").is_empty());
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let peer = ip("203.0.113.9");
        let none = TrustedProxies::default();
        assert_eq!(resolve(peer, &none, || vec!["198.51.100.1"]), peer);
        let other = proxies("10.0.0.0/8");
        assert_eq!(resolve(peer, &other, || vec!["198.51.100.1"]), peer);
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies("10.0.0.0/8");
        let caddy = ip("10.0.1.5");
        // The client forged the first entry; Caddy appended the real address.
        assert_eq!(
            resolve(caddy, &trusted, || vec!["1.2.3.4", "198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Two proxies of ours in a row.
        assert_eq!(
            resolve(caddy, &trusted, || vec![
                "1.2.3.4",
                "198.51.100.7",
                "10.0.2.2"
            ]),
            ip("198.51.100.7")
        );
        // Every hop trusted: the left-most.
        assert_eq!(
            resolve(caddy, &trusted, || vec!["10.9.9.9", "10.0.2.2"]),
            ip("10.9.9.9")
        );
        // No header: the proxy itself.
        assert_eq!(resolve(caddy, &trusted, Vec::new), caddy);
        // Garbage stops the walk at the last hop we could read.
        assert_eq!(
            resolve(caddy, &trusted, || vec!["198.51.100.7", "junk", "10.0.2.2"]),
            ip("10.0.2.2")
        );
        assert_eq!(
            resolve(caddy, &trusted, || vec!["[2001:db8::1]:4711"]),
            ip("2001:db8::1")
        );
        assert_eq!(
            resolve(caddy, &trusted, || vec!["198.51.100.7:5000"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn forwarded_header() {
        let hops: Vec<&str> = forwarded_for(
            "for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]:4711\"",
        )
        .collect();
        assert_eq!(hops, vec!["192.0.2.60", "[2001:db8:cafe::17]:4711"]);
        assert_eq!(parse_hop(hops[1]), Some(ip("2001:db8:cafe::17")));
    }

    #[test]
    fn from_a_request() {
        use actix_web::test::TestRequest;
        let trusted = proxies("127.0.0.1");
        let forged = TestRequest::default()
            .peer_addr("203.0.113.9:5555".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4"))
            .insert_header(("forwarded", "for=1.2.3.5"))
            .to_http_request();
        assert_eq!(client_ip(&forged, &trusted), Some(ip("203.0.113.9")));
        let proxied = TestRequest::default()
            .peer_addr("127.0.0.1:5555".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4, 198.51.100.7"))
            .to_http_request();
        assert_eq!(client_ip(&proxied, &trusted), Some(ip("198.51.100.7")));
        let rfc7239 = TestRequest::default()
            .peer_addr("127.0.0.1:5555".parse().unwrap())
            .insert_header(("forwarded", "for=198.51.100.8"))
            .to_http_request();
        assert_eq!(client_ip(&rfc7239, &trusted), Some(ip("198.51.100.8")));
    }
}
