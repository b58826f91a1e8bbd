//! Instructor commands: prove the course sound (`dev check`), keep the manifests in step with
//! info.toml (`dev update`), scaffold an exercise (`dev new`).

mod check;
mod new;
mod rustlings;
mod update;

pub use check::check;
pub use new::new;
pub use update::update;
