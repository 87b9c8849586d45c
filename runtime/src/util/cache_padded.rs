//! `CachePadded<T>`: a value alone on its cache line(s), so that writes to it do not invalidate
//! the line its neighbours live on (false sharing). 128 bytes covers the adjacent-line
//! prefetcher on x86-64 and the 128-byte lines of Apple silicon.

/// Aligns (and so pads) `T` to 128 bytes.
#[repr(align(128))]
#[derive(Debug, Default)]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
