//! The buffer a blocking-pool I/O job borrows from its async owner and hands back.
//!
//! The standard streams ([`stdin`](super::stdin) and friends) and [`fs::File`](crate::fs::File)
//! both run each operation as one pool job that owns this buffer while it runs. A read job
//! fills it and the owner then copies bytes out (`bytes[pos..]` is what was read but not yet
//! handed out); a write job gets the caller's bytes copied in and writes them all.

use std::io;

#[derive(Debug, Default)]
pub(crate) struct BlockingBuf {
    bytes: Vec<u8>,
    pos: usize,
}

impl BlockingBuf {
    /// Copies the unread bytes into `out`, as many as fit; returns how many.
    pub(crate) fn copy_out(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.unread());
        out[..n].copy_from_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
        n
    }

    /// Bytes read but not yet handed out.
    pub(crate) fn unread(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Empties the buffer; returns how many bytes were read but not yet handed out.
    pub(crate) fn discard_unread(&mut self) -> usize {
        let unread = self.unread();
        self.bytes.clear();
        self.pos = 0;
        unread
    }

    /// Replaces the contents with one read of at most `len` bytes (retried while it is
    /// interrupted by a signal); on an error the buffer is left empty.
    pub(crate) fn read_with(
        &mut self,
        len: usize,
        mut read: impl FnMut(&mut [u8]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        // Old bytes left below `len` are overwritten or truncated: no need to zero them.
        self.bytes.resize(len, 0);
        self.pos = 0;
        let result = loop {
            match read(&mut self.bytes) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => break result,
            }
        };
        self.bytes.truncate(*result.as_ref().unwrap_or(&0));
        result
    }

    /// Replaces the contents with `data`, for a write job.
    pub(crate) fn set(&mut self, data: &[u8]) {
        self.discard_unread();
        self.bytes.extend_from_slice(data);
    }

    /// The whole contents (a write job's bytes).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}
