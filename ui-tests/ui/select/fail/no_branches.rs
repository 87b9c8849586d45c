fn main() {
    blitz_io::run(async {
        blitz_io::select! {
            else => 1,
        }
    });
}
