use blitz_io::machine::StateMachine;

#[derive(StateMachine)]
#[machine(output = ())]
enum Machine {}

fn main() {}
