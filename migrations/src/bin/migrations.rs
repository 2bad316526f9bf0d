//! The `migrations` command: `migrations --help`.

fn main() -> std::process::ExitCode {
    migrations::cli::main()
}
