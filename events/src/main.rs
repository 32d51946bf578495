fn main() -> std::process::ExitCode {
    shared::infrastructure::app::main(&events::APP)
}
