fn main() -> std::process::ExitCode {
    shared::infrastructure::app::main(&cart::APP)
}
