fn main() -> std::process::ExitCode {
    shared::infrastructure::app::main(&blog::APP)
}
