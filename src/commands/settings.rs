//! `agent settings [KEY [VALUE]] [--delete]`.

use super::{Failure, Outcome};
use crate::cli::SettingsArgs;
use crate::paths::StatePaths;
use crate::settings::{SETTINGS, Settings, display, spec};

/// Lists, prints, sets or deletes a setting.
pub fn run(args: &SettingsArgs) -> Outcome {
    let paths = StatePaths::from_env().map_err(Failure::runtime)?;
    let file = paths.settings_file();
    let mut settings = Settings::load(&file).map_err(Failure::usage)?;
    match (&args.key, &args.value) {
        (None, _) => {
            for s in SETTINGS {
                let value = settings
                    .get(s.key)
                    .map(|v| display(s, v))
                    .unwrap_or_else(|| "(unset)".into());
                println!("{} = {value}\n    {}", s.key, s.doc);
            }
            println!("(stored in {})", file.display());
            Ok(())
        }
        (Some(key), None) if args.delete => {
            if settings.delete(key).map_err(Failure::usage)? {
                settings.save(&file).map_err(Failure::runtime)?;
            }
            Ok(())
        }
        (Some(key), None) => {
            let spec = spec(key).map_err(Failure::usage)?;
            match settings.get(key) {
                Some(value) => println!("{}", display(spec, value)),
                None => return Err(Failure::runtime(format!("`{key}` is not set"))),
            }
            Ok(())
        }
        (Some(key), Some(value)) => {
            settings.set(key, value).map_err(Failure::usage)?;
            settings.save(&file).map_err(Failure::runtime)
        }
    }
}
