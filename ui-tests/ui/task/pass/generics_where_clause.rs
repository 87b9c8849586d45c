use std::fmt::Display;

#[blitz_io::task]
fn describe<T, U>(left: T, right: U) -> String
where
    T: Display + Send,
    U: Display + Send,
{
    format!("{left} and {right}")
}

#[blitz_io::task]
fn make_default<T: Default>() -> T {
    T::default()
}

#[blitz_io::task]
fn sum_array<const N: usize>(values: [u32; N]) -> u32 {
    values.iter().sum()
}

fn main() {
    let future: Describe<u8, &str> = describe(1u8, "two");
    assert_eq!(blitz_io::run(future), "1 and two");
    assert_eq!(blitz_io::run(make_default::<u32>()), 0);
    let future: SumArray<3> = sum_array([1, 2, 3]);
    assert_eq!(blitz_io::run(future), 6);
}
