extern crate blitz_io as runtime;

#[runtime::task(crate = "runtime")]
fn double(n: u32) -> u32 {
    n * 2
}

#[runtime::task(crate = "runtime", blocking, name = Tripled)]
fn triple(n: u32) -> u32 {
    n * 3
}

fn main() {
    assert_eq!(runtime::run(double(2)), 4);
    let future: Tripled = triple(2);
    assert_eq!(runtime::run(future), 6);
}
