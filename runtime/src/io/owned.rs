//! Buffers that I/O operations own while they run.
//!
//! An owned-buffer operation (`read_owned`, `write_owned`) takes the buffer by value and hands
//! it back with the result. On io_uring the kernel reads or writes the buffer directly while
//! the operation is in flight, which saves the extra copy through a borrowed slice (the
//! kernel still copies between the socket and the buffer; this is not zero-copy). If the
//! operation's future is dropped mid-flight, the runtime keeps the buffer until the kernel
//! reports the operation finished, so it is never written after it was freed.
//!
//! Cost: an owned-buffer operation on io_uring comes back through a driver turn instead of
//! finishing inside its poll, and on the project's echo benchmark that costs more server CPU
//! per request than the `AsyncRead`/`AsyncWrite` path (which reads and writes the borrowed
//! slice with one syscall once the socket is ready, no extra copy either). Use owned buffers
//! where owning the buffer is the point (handing it to another task, cancelling with
//! [`ReadOwned::cancel`](crate::io::ReadOwned::cancel) and getting it back); measurements
//! in `docs/decisions.md`, "Known costs left open".

/// A buffer an operation may read from while the caller cannot touch it.
///
/// # Safety
/// [`stable_ptr`](IoBuf::stable_ptr) must point to [`bytes_init`](IoBuf::bytes_init)
/// initialised bytes that stay valid and in place while the value is moved (heap storage),
/// until the value is dropped or mutated through `&mut`.
pub unsafe trait IoBuf: Send + Unpin + 'static {
    /// Where the bytes start.
    fn stable_ptr(&self) -> *const u8;
    /// How many bytes are initialised (and would be written).
    fn bytes_init(&self) -> usize;
}

/// A buffer an operation may write into while the caller cannot touch it.
///
/// # Safety
/// As [`IoBuf`], and [`stable_mut_ptr`](IoBufMut::stable_mut_ptr) is valid for writes of
/// [`bytes_total`](IoBufMut::bytes_total) bytes.
pub unsafe trait IoBufMut: IoBuf {
    /// Where writes start.
    fn stable_mut_ptr(&mut self) -> *mut u8;
    /// How many bytes may be written.
    fn bytes_total(&self) -> usize;
    /// Records that the first `len` bytes are now initialised.
    ///
    /// # Safety
    /// The first `len` bytes really were written.
    unsafe fn set_init(&mut self, len: usize);
}

// SAFETY: a Vec's heap storage does not move when the Vec does; `len` bytes are initialised.
unsafe impl IoBuf for Vec<u8> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
}

// SAFETY: writes go to the Vec's heap storage, valid for `capacity` bytes.
unsafe impl IoBufMut for Vec<u8> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    fn bytes_total(&self) -> usize {
        self.capacity()
    }
    /// Sets the length to `len`: a read fills the vector from its start.
    unsafe fn set_init(&mut self, len: usize) {
        // SAFETY: the caller promises the first `len` bytes were written, and writes never
        // exceed `capacity`.
        unsafe { self.set_len(len) };
    }
}

// SAFETY: a boxed slice's heap storage does not move when the box does; all of it is
// initialised.
unsafe impl IoBuf for Box<[u8]> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
}

// SAFETY: as above; all `len` bytes are writable.
unsafe impl IoBufMut for Box<[u8]> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    fn bytes_total(&self) -> usize {
        self.len()
    }
    unsafe fn set_init(&mut self, _len: usize) {}
}
