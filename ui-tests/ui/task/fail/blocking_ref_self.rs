struct Disk;

impl Disk {
    #[blitz_io::task(blocking)]
    fn read(&self, block: u64) -> u64 {
        block
    }
}

fn main() {}
