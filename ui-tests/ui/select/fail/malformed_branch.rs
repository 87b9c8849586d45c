fn main() {
    blitz_io::run(async {
        blitz_io::select! {
            value <- std::future::ready(1) => value,
        }
    });
}
