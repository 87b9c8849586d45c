struct Cache;

impl Cache {
    #[blitz_io::task]
    fn get(&self, key: u64) -> u64 {
        key
    }
}

fn main() {}
