//! Address arguments: literal addresses resolve at once; host names are looked up on the
//! blocking pool (the system resolver blocks).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Anything that names one or more socket addresses: a [`SocketAddr`], an `(ip, port)` pair,
/// a `"host:port"` string or a `(host, port)` pair. Host names are resolved on the blocking
/// pool, never on a worker thread.
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::*;

    /// How an argument becomes addresses.
    #[derive(Debug)]
    pub enum Resolve {
        Done(io::Result<Vec<SocketAddr>>),
        /// Needs the system resolver.
        Lookup(String),
    }

    pub trait Sealed {
        fn resolve(&self) -> Resolve;
    }
}
use sealed::{Resolve, Sealed};

macro_rules! literal {
    ($($ty:ty => |$v:ident| $e:expr;)*) => {$(
        impl ToSocketAddrs for $ty {}
        impl Sealed for $ty {
            fn resolve(&self) -> Resolve {
                let $v = self;
                Resolve::Done(Ok(vec![$e]))
            }
        }
    )*};
}

literal! {
    SocketAddr => |a| *a;
    SocketAddrV4 => |a| SocketAddr::V4(*a);
    SocketAddrV6 => |a| SocketAddr::V6(*a);
    (IpAddr, u16) => |a| SocketAddr::new(a.0, a.1);
    (Ipv4Addr, u16) => |a| SocketAddr::new(IpAddr::V4(a.0), a.1);
    (Ipv6Addr, u16) => |a| SocketAddr::new(IpAddr::V6(a.0), a.1);
}

impl ToSocketAddrs for [SocketAddr] {}
impl Sealed for [SocketAddr] {
    fn resolve(&self) -> Resolve {
        Resolve::Done(Ok(self.to_vec()))
    }
}

impl ToSocketAddrs for str {}
impl Sealed for str {
    fn resolve(&self) -> Resolve {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Resolve::Done(Ok(vec![addr])),
            Err(_) => Resolve::Lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl Sealed for String {
    fn resolve(&self) -> Resolve {
        self.as_str().resolve()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl Sealed for (&str, u16) {
    fn resolve(&self) -> Resolve {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => Resolve::Done(Ok(vec![SocketAddr::new(ip, self.1)])),
            Err(_) => Resolve::Lookup(format!("{}:{}", self.0, self.1)),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Sealed for (String, u16) {
    fn resolve(&self) -> Resolve {
        (self.0.as_str(), self.1).resolve()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: Sealed + ?Sized> Sealed for &T {
    fn resolve(&self) -> Resolve {
        (**self).resolve()
    }
}

/// Every address `addr` names (host names via the system resolver, on the blocking pool).
pub(crate) async fn resolve<A: ToSocketAddrs + ?Sized>(addr: &A) -> io::Result<Vec<SocketAddr>> {
    match addr.resolve() {
        Resolve::Done(addrs) => addrs,
        Resolve::Lookup(host) => {
            let lookup = crate::task::spawn_blocking(move || {
                std::net::ToSocketAddrs::to_socket_addrs(&host).map(Iterator::collect::<Vec<_>>)
            });
            lookup.await.map_err(io::Error::other)?
        }
    }
}

/// Resolves `host` (`"name:port"`, or any [`ToSocketAddrs`]) to socket addresses, running the
/// system resolver on the blocking pool.
///
/// ```
/// blitz_io::run(async {
///     let addrs: Vec<_> = blitz_io::net::lookup_host("localhost:80").await.unwrap().collect();
///     assert!(addrs.iter().all(|a| a.port() == 80) && !addrs.is_empty());
/// });
/// ```
pub async fn lookup_host<A: ToSocketAddrs>(
    host: A,
) -> io::Result<impl Iterator<Item = SocketAddr>> {
    Ok(resolve(&host).await?.into_iter())
}

/// Tries `op` on each address in turn; the last error if none works.
pub(crate) async fn each_addr<A, T, F, Fut>(addr: &A, mut op: F) -> io::Result<T>
where
    A: ToSocketAddrs + ?Sized,
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in resolve(addr).await? {
        match op(addr).await {
            Ok(value) => return Ok(value),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        )
    }))
}
