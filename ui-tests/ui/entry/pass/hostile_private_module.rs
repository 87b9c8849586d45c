// A user item named like the macro's hidden module must not capture its paths.
mod __private {
    pub fn entry_runtime() {}
}

#[blitz_io::main]
async fn main() {
    __private::entry_runtime();
}
