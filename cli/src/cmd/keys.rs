//! `tessera keys`: add (new or recovered from a mnemonic), list, show, delete, export, import.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use clap::Subcommand;
use serde_json::json;
use tessera_client::keys::{generate_mnemonic, Key, DEFAULT_HD_PATH};
use zeroize::Zeroizing;

use crate::context::Context;
use crate::output::Output;

#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// Create a key (a new 24-word mnemonic is printed once), or recover one with --recover
    #[command(after_help = "Examples:\n  tessera keys add alice\n  \
        echo \"$MNEMONIC\" | tessera keys add ci --recover --keyring-backend test")]
    Add {
        name: String,
        /// Read the mnemonic from stdin (or a prompt) instead of making a new one
        #[arg(long)]
        recover: bool,
        /// BIP-32 derivation path
        #[arg(long, default_value = DEFAULT_HD_PATH)]
        hd_path: String,
        /// Do not print the new mnemonic (you will not see it again)
        #[arg(long)]
        no_backup: bool,
    },
    /// List the keys of the keyring
    List,
    /// Show a key's address and public key
    Show {
        name: String,
        /// Print only the address
        #[arg(long, short = 'a')]
        address: bool,
    },
    /// Delete a key from the keyring
    Delete {
        name: String,
        /// Required: deleting a key without its mnemonic loses the account
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Print a key sealed under an export passphrase (TESSERA_EXPORT_PASSPHRASE or a prompt)
    Export { name: String },
    /// Import a key written by `keys export` from FILE (- for stdin)
    Import { name: String, file: PathBuf },
}

pub fn run(ctx: &Context, cmd: KeysCmd) -> Result<()> {
    let mut keyring = ctx.keyring()?;
    match cmd {
        KeysCmd::Add {
            name,
            recover,
            hd_path,
            no_backup,
        } => {
            let (phrase, fresh) = if recover {
                (read_mnemonic()?, false)
            } else {
                (generate_mnemonic(), true)
            };
            let info = keyring.add(Key::from_mnemonic(&name, &phrase, &hd_path)?)?;
            let show_phrase = fresh && !no_backup;
            if ctx.out.is_json() {
                let mut value = serde_json::to_value(&info)?;
                if show_phrase {
                    value["mnemonic"] = json!(phrase.as_str());
                }
                ctx.out.value(&value);
            } else {
                println!("{}: {}", info.name, info.address);
                if show_phrase {
                    println!(
                        "\nWrite this mnemonic down and keep it safe; it is the only way to \
                         recover the account:\n\n{}",
                        phrase.as_str()
                    );
                }
            }
        }
        KeysCmd::List => {
            let keys = keyring.list()?;
            ctx.out.either(&keys, || {
                Output::lines(
                    &keys,
                    &format!("no keys in {}", keyring.dir().display()),
                    |k| format!("{:<20} {}", k.name, k.address),
                )
            });
        }
        KeysCmd::Show { name, address } => {
            let info = keyring.show(&name)?;
            if address {
                println!("{}", info.address);
            } else {
                ctx.out.value(&info);
            }
        }
        KeysCmd::Delete { name, yes } => {
            if !yes {
                bail!("deleting {name:?} cannot be undone without its mnemonic; pass --yes");
            }
            let info = keyring.delete(&name)?;
            ctx.out.either(&info, || {
                format!("deleted {} ({})", info.name, info.address)
            });
        }
        KeysCmd::Export { name } => {
            let passphrase = passphrase("TESSERA_EXPORT_PASSPHRASE", "Export passphrase: ")?;
            println!("{}", keyring.export(&name, &passphrase)?);
        }
        KeysCmd::Import { name, file } => {
            let text = if file.as_os_str() == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                text
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?
            };
            let passphrase = passphrase("TESSERA_EXPORT_PASSPHRASE", "Passphrase of the export: ")?;
            let info = keyring.import(&name, &text, &passphrase)?;
            ctx.out.either(&info, || {
                format!("imported {}: {}", info.name, info.address)
            });
        }
    }
    Ok(())
}

/// A mnemonic from stdin: typed at a prompt on a terminal, piped otherwise.
fn read_mnemonic() -> Result<Zeroizing<String>> {
    let phrase = if std::io::stdin().is_terminal() {
        Zeroizing::new(rpassword::prompt_password("Enter your mnemonic: ")?)
    } else {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin().read_to_string(&mut text)?;
        text
    };
    if phrase.trim().is_empty() {
        bail!("no mnemonic on stdin");
    }
    Ok(phrase)
}

fn passphrase(env: &str, prompt: &str) -> Result<Zeroizing<String>> {
    if let Ok(value) = std::env::var(env) {
        return Ok(Zeroizing::new(value));
    }
    if !std::io::stdin().is_terminal() {
        bail!("set {env}, or run in a terminal to be asked");
    }
    Ok(Zeroizing::new(rpassword::prompt_password(prompt)?))
}
