// A method's replacement: a free function taking the receiver borrows it, so its future is
// awaitable but not spawnable.
struct Cache {
    values: Vec<u64>,
}

#[blitz_io::task]
fn cache_get(cache: &Cache, key: usize) -> Option<&u64> {
    cache.values.get(key)
}

fn main() {
    let cache = Cache { values: vec![10, 20] };
    let future: CacheGet<'_> = cache_get(&cache, 1);
    assert_eq!(blitz_io::run(future), Some(&20));
}
