//! The credentials of a Unix stream's peer, read from the kernel: `SO_PEERCRED` on Linux and
//! Android (uid, gid and pid), `getpeereid` on macOS and the BSDs (uid and gid; no pid).
//!
//! The kernel records them when the connection is made (`connect` or `socketpair`), so they
//! describe the peer at that moment, not whoever holds the other end now.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// The user, group and (on Linux and Android) process of the peer of a
/// [`UnixStream`](super::UnixStream), as the kernel recorded them when the connection was
/// made. Returned by [`UnixStream::peer_cred`](super::UnixStream::peer_cred).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UCred {
    uid: libc::uid_t,
    gid: libc::gid_t,
    pid: Option<libc::pid_t>,
}

impl UCred {
    /// The peer's effective user id.
    pub fn uid(&self) -> libc::uid_t {
        self.uid
    }

    /// The peer's effective group id.
    pub fn gid(&self) -> libc::gid_t {
        self.gid
    }

    /// The peer's process id: `Some` on Linux and Android, `None` where the platform does
    /// not report it (macOS, the BSDs).
    pub fn pid(&self) -> Option<libc::pid_t> {
        self.pid
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn peer_cred(fd: BorrowedFd<'_>) -> io::Result<UCred> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `fd` is a live socket for the borrow; `cred` and `len` are live locals and `len`
    // holds the size of `cred`, so the kernel writes at most that many bytes into it.
    let result = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &mut len,
        )
    };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred {
        uid: cred.uid,
        gid: cred.gid,
        pid: Some(cred.pid),
    })
}

#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
pub(super) fn peer_cred(fd: BorrowedFd<'_>) -> io::Result<UCred> {
    let mut uid: libc::uid_t = 0;
    let mut gid: libc::gid_t = 0;
    // SAFETY: `fd` is a live socket for the borrow; `uid` and `gid` are live locals the call
    // writes one id into each.
    let result = unsafe { libc::getpeereid(fd.as_raw_fd(), &mut uid, &mut gid) };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred {
        uid,
        gid,
        pid: None,
    })
}
