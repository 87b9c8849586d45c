//! The runtime: scheduler, parking, blocking pool. (Being built; see issue 2.)
/// Placeholder until the scheduler lands.
pub fn run<F: std::future::Future>(_future: F) -> F::Output {
    unimplemented!("the runtime is being built")
}
/// Placeholder until the scheduler lands.
#[derive(Debug)]
pub struct Runtime;
