// A user item named like the macro's hidden module must not capture its paths; parameters
// and constants named like generated fields or locals must not collide with them.
mod __private {
    pub fn task_output() {}
}

#[allow(non_upper_case_globals)]
const __args: u32 = 1;
#[allow(non_upper_case_globals)]
const __this: u32 = 1;

#[blitz_io::task]
fn work(__arg0: u32, __cx: u32, (__body, __state): (u32, u32)) -> u32 {
    __private::task_output();
    __arg0 + __cx + __body + __state + __args + __this
}

#[blitz_io::task(blocking)]
fn blocking_work(__arg1: u32, __cx: u32) -> u32 {
    __arg1 + __cx + __args
}

fn main() {
    assert_eq!(blitz_io::run(work(1, 2, (3, 4))), 12);
    assert_eq!(blitz_io::run(blocking_work(1, 2)), 4);
}
