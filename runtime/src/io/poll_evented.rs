//! A mio socket registered with the runtime's driver: the building block of every `net` type.
//!
//! It owns the mio source and its [`Registration`]; reads and writes are the source's own
//! non-blocking syscalls, retried through the registration's readiness. Dropping it
//! deregisters the source before the fd closes.

use std::io::{self, Read, Write};
use std::task::{Context, Poll};

use super::driver::Direction;
use super::ready::Interest;
use super::registration::Registration;

pub(crate) struct PollEvented<E: mio::event::Source> {
    io: Option<E>,
    registration: Registration,
}

impl<E: mio::event::Source> PollEvented<E> {
    /// Registers `io` for reads and writes with the current runtime.
    #[track_caller]
    pub(crate) fn new(io: E) -> io::Result<PollEvented<E>> {
        PollEvented::with_interest(io, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `io` for `interest` only with the current runtime.
    #[track_caller]
    pub(crate) fn with_interest(io: E, interest: Interest) -> io::Result<PollEvented<E>> {
        PollEvented::try_with_interest(io, interest).map_err(|(_, error)| error)
    }

    /// As [`with_interest`](Self::with_interest), handing `io` back when the driver refuses
    /// it.
    #[track_caller]
    pub(crate) fn try_with_interest(
        mut io: E,
        interest: Interest,
    ) -> Result<PollEvented<E>, (E, io::Error)> {
        match Registration::new(&mut io, interest) {
            Ok(registration) => Ok(PollEvented {
                io: Some(io),
                registration,
            }),
            Err(error) => Err((io, error)),
        }
    }
}

impl<E: mio::event::Source> PollEvented<E> {
    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    pub(crate) fn get_ref(&self) -> &E {
        self.io.as_ref().expect("the socket is present until drop")
    }

    #[cfg_attr(not(unix), allow(dead_code))]
    pub(crate) fn get_mut(&mut self) -> &mut E {
        self.io.as_mut().expect("the socket is present until drop")
    }

    /// Deregisters and hands back the mio socket.
    pub(crate) fn into_inner(mut self) -> E {
        let mut io = self.io.take().expect("the socket is present until drop");
        self.registration.driver().deregister_source(&mut io);
        io
    }

    /// A read through `&E` (mio sockets implement `Read for &Socket`). Stream sockets only: a
    /// short read clears the readiness (see [`Registration::poll_stream_io`]).
    pub(crate) fn poll_read<'a>(
        &'a self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: Read,
    {
        let io = self.get_ref();
        let len = buf.len();
        self.registration
            .poll_stream_io(cx, Direction::Read, len, || {
                let mut io = io;
                io.read(buf)
            })
    }

    /// A write through `&E`; stream sockets only, as [`poll_read`](Self::poll_read).
    pub(crate) fn poll_write<'a>(
        &'a self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: Write,
    {
        let io = self.get_ref();
        self.registration
            .poll_stream_io(cx, Direction::Write, buf.len(), || {
                let mut io = io;
                io.write(buf)
            })
    }

    pub(crate) fn poll_write_vectored<'a>(
        &'a self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: Write,
    {
        // Plain `poll_io`: a vectored write can stop short at the kernel's slice limit
        // (`IOV_MAX`) with room left in the send buffer, so a short write proves nothing.
        let io = self.get_ref();
        self.registration.poll_io(cx, Direction::Write, || {
            let mut io = io;
            io.write_vectored(bufs)
        })
    }
}

impl<E: mio::event::Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            self.registration.driver().deregister_source(&mut io);
        }
    }
}

impl<E: mio::event::Source + std::fmt::Debug> std::fmt::Debug for PollEvented<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEvented")
            .field("io", &self.io)
            .field("registration", &self.registration)
            .finish()
    }
}
