use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    actix_web::rt::System::new().block_on(async move {
        match deploy::cli::run(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("deploy: {err:#}");
                ExitCode::FAILURE
            }
        }
    })
}
