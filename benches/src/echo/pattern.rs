//! Message contents for the echo load generator: every request carries bytes that only that
//! connection's request could have, so an echo that is short, stale, reordered or crossed with
//! another connection's fails the content check.
//!
//! A message is a 16-byte header (a 64-bit hash of the connection id and request number, then
//! the two numbers themselves XOR-ed with constants so zeroed memory never matches; cut short
//! in messages under 16 bytes) followed by a window into a fixed pseudo-random block whose
//! offset is derived from the same hash. Filling a
//! message is one `memcpy` (cheap enough that the client stays light at 16 KiB), and checking
//! an echoed chunk is one comparison with the bytes that were sent.

/// Length of the pseudo-random block messages take their body from.
const BLOCK_LEN: usize = 1 << 17;
/// Largest message [`fill`] accepts.
pub const MAX_MESSAGE: usize = BLOCK_LEN / 2;
const HEADER: usize = 16;
const CONN_MASK: u64 = 0x9e37_79b9_7f4a_7c15;
const REQ_MASK: u64 = 0xc2b2_ae3d_27d4_eb4f;

/// The shared block, generated once per process with a fixed xorshift seed.
fn block() -> &'static [u8] {
    static BLOCK: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BLOCK.get_or_init(|| {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut out = Vec::with_capacity(BLOCK_LEN);
        while out.len() < BLOCK_LEN {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            out.extend_from_slice(&state.to_le_bytes());
        }
        out
    })
}

/// A 64-bit mix of the two numbers (splitmix64's finaliser), for the window offset.
fn mix(conn: u64, req: u64) -> u64 {
    let mut z = conn.wrapping_mul(CONN_MASK) ^ req.wrapping_add(REQ_MASK);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Writes request `req` of connection `conn` into `msg` (its whole length).
///
/// ```
/// use blitz_io_benches::echo::pattern::fill;
///
/// let (mut a, mut b) = (vec![0u8; 64], vec![0u8; 64]);
/// fill(&mut a, 1, 10);
/// fill(&mut b, 1, 10);
/// assert_eq!(a, b); // the client rebuilds what it sent to check the echo
/// fill(&mut b, 1, 11);
/// assert_ne!(a, b); // the next request's bytes differ
/// ```
///
/// # Panics
/// When `msg` is longer than [`MAX_MESSAGE`].
pub fn fill(msg: &mut [u8], conn: u64, req: u64) {
    assert!(
        msg.len() <= MAX_MESSAGE,
        "message larger than {MAX_MESSAGE} bytes"
    );
    let mut header = [0u8; HEADER];
    let hash = mix(conn, req);
    header[..8].copy_from_slice(&hash.to_le_bytes());
    let ids = (conn ^ CONN_MASK).rotate_left(32) ^ req ^ REQ_MASK;
    header[8..].copy_from_slice(&ids.to_le_bytes());
    let head = msg.len().min(HEADER);
    msg[..head].copy_from_slice(&header[..head]);
    let body = msg.len() - head;
    let offset = (hash as usize) % (BLOCK_LEN - body + 1);
    msg[head..].copy_from_slice(&block()[offset..offset + body]);
}

#[cfg(test)]
mod tests {
    use super::{fill, MAX_MESSAGE};

    fn message(len: usize, conn: u64, req: u64) -> Vec<u8> {
        let mut m = vec![0; len];
        fill(&mut m, conn, req);
        m
    }

    #[test]
    fn same_inputs_same_bytes() {
        for len in [0, 1, 15, 16, 17, 64, 1024, 16 * 1024, MAX_MESSAGE] {
            assert_eq!(message(len, 3, 7), message(len, 3, 7), "len {len}");
        }
    }

    #[test]
    fn other_connection_or_request_differs() {
        // (A message of a few bytes has only a hash byte or two: any collision is chance.)
        for len in [8, 9, 64, 1024, 16 * 1024] {
            let base = message(len, 3, 7);
            assert_ne!(base, message(len, 4, 7), "conn, len {len}");
            assert_ne!(base, message(len, 3, 8), "req, len {len}");
            assert_ne!(base, vec![0; len], "zeroes, len {len}");
        }
    }

    #[test]
    fn body_varies_between_requests() {
        // Past the header, two requests of one connection should still differ almost
        // everywhere, so a server that echoes a stale buffer is caught by any chunk.
        let a = message(1024, 1, 1);
        let b = message(1024, 1, 2);
        let same = a[16..].iter().zip(&b[16..]).filter(|(x, y)| x == y).count();
        assert!(same < 64, "{same} equal body bytes");
    }
}
