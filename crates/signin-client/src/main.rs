//! `signin`: sign a phone number up and in against the passwordless SMS pool.
//!
//! The pool's app client id comes from `--client-id` (or `COGNITO_CLIENT_ID`), else from the
//! outputs of the stack `--stack-name`. AWS settings are the standard ones (`AWS_REGION`,
//! credentials, `AWS_ENDPOINT_URL` for the local stack).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use signin_client::{Challenge, ClientError, SignInClient, Step, Tokens, emulator, token_claims};

#[derive(Parser)]
#[command(version, about = "Sign up and sign in with a phone number and an SMS code (Cognito CUSTOM_AUTH)")]
struct Cli {
    /// The app client id; read from the stack's outputs when absent.
    #[arg(long, env = "COGNITO_CLIENT_ID", global = true)]
    client_id: Option<String>,
    /// The stack whose `UserPoolClientId` output names the app client.
    #[arg(long, env = "STACK_NAME", default_value = "sms-passwordless", global = true)]
    stack_name: String,
    #[command(subcommand)]
    command: Command,
}

/// Who signs in.
#[derive(clap::Args)]
struct Who {
    /// The phone number, or the user name in a pool whose users sign in with one (the code
    /// still goes to their verified number).
    #[arg(long, visible_alias = "username")]
    phone: String,
}

#[derive(Subcommand)]
enum Command {
    /// Sign a phone number up (a random, never-used password is sent, as SignUp requires).
    SignUp {
        #[arg(long)]
        phone: String,
    },
    /// Sign in: asks for the code (type `resend` for a new one) and prints the ID token's claims.
    SignIn {
        #[command(flatten)]
        who: Who,
        /// Read codes from this emulator's SMS inbox when standard input is not a terminal.
        #[arg(long)]
        sms_inbox: Option<String>,
    },
    /// Start a sign-in and print the session and challenge as JSON (for scripts).
    Start {
        #[command(flatten)]
        who: Who,
    },
    /// Answer a challenge started with `start`.
    Answer {
        #[command(flatten)]
        who: Who,
        #[arg(long)]
        session: String,
        #[arg(long)]
        code: String,
    },
    /// Ask for a new code in a sign-in started with `start`.
    Resend {
        #[command(flatten)]
        who: Who,
        #[arg(long)]
        session: String,
    },
    /// The local demo: sign up, show the SMS, refuse a wrong code, sign in, show the claims.
    Demo {
        #[arg(long, default_value = "+15555550100")]
        phone: String,
        /// The emulator whose SMS inbox to read (the local stack's endpoint, which
        /// tools/local-env.sh exports as AWS_ENDPOINT_URL).
        #[arg(long, env = "AWS_ENDPOINT_URL")]
        sms_inbox: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), ClientError> {
    let sdk = signin_client::aws_config().await;
    let client_id = match cli.client_id {
        Some(id) => id,
        None => signin_client::stack_outputs(&sdk, &cli.stack_name)
            .await?
            .remove("UserPoolClientId")
            .ok_or_else(|| ClientError::Setup(format!("stack {} has no UserPoolClientId output", cli.stack_name)))?,
    };
    let client = SignInClient::new(&sdk, client_id);
    match cli.command {
        Command::SignUp { phone } => {
            let confirmed = client.sign_up(&phone).await?;
            println!("signed up {phone} ({})", if confirmed { "confirmed" } else { "NOT confirmed" });
        }
        Command::SignIn { who: Who { phone }, sms_inbox } => {
            let inbox = sms_inbox.filter(|_| !std::io::stdin().is_terminal());
            let step = client.start(&phone).await?;
            let tokens = interactive(&client, &phone, step, inbox.as_deref()).await?;
            print_tokens(&tokens)?;
        }
        Command::Start { who: Who { phone } } => print_step(client.start(&phone).await?),
        Command::Answer { who: Who { phone }, session, code } => {
            print_step(client.answer(&phone, &session, &code).await?)
        }
        Command::Resend { who: Who { phone }, session } => print_step(client.resend(&phone, &session).await?),
        Command::Demo { phone, sms_inbox } => demo(&client, &phone, &sms_inbox).await?,
    }
    Ok(())
}

fn print_step(step: Step) {
    let json = match step {
        Step::Challenge(c) => serde_json::json!({"session": c.session, "challengeParameters": c.parameters}),
        Step::SignedIn(t) => serde_json::json!({"idToken": t.id_token, "accessToken": t.access_token,
            "refreshToken": t.refresh_token, "expiresIn": t.expires_in}),
    };
    println!("{json:#}");
}

fn print_tokens(tokens: &Tokens) -> Result<(), ClientError> {
    println!("signed in; the ID token's claims:");
    println!("{:#}", token_claims(&tokens.id_token)?);
    Ok(())
}

/// Answers challenges until tokens come back: codes are typed (or `resend`), or read from the
/// emulator's inbox when `inbox` is given.
async fn interactive(
    client: &SignInClient,
    phone: &str,
    mut step: Step,
    inbox: Option<&str>,
) -> Result<Tokens, ClientError> {
    loop {
        let challenge = match step {
            Step::SignedIn(tokens) => return Ok(tokens),
            Step::Challenge(challenge) => challenge,
        };
        println!("{}", challenge.describe());
        let answer = match inbox {
            Some(endpoint) => {
                let code = latest_code(endpoint, phone, &challenge)?;
                println!("code (read from the emulator's SMS inbox): {code}");
                code
            }
            None => prompt("code (or `resend`): ")?,
        };
        step = if answer == "resend" {
            client.resend(phone, &challenge.session).await?
        } else {
            client.answer(phone, &challenge.session, &answer).await?
        };
    }
}

fn latest_code(endpoint: &str, phone: &str, challenge: &Challenge) -> Result<String, ClientError> {
    let length = challenge.number("codeLength").unwrap_or(6) as usize;
    let texts = emulator::sms_messages(endpoint, phone)?;
    texts
        .last()
        .and_then(|text| emulator::code_in(text, length))
        .ok_or_else(|| ClientError::Setup(format!("no SMS with a {length}-digit code for {phone} in the emulator")))
}

fn prompt(question: &str) -> Result<String, ClientError> {
    print!("{question}");
    std::io::stdout().flush().ok();
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line).map_err(|e| ClientError::Setup(e.to_string()))?;
    if read == 0 {
        return Err(ClientError::Setup("no code given (end of input)".into()));
    }
    Ok(line.trim().to_owned())
}

/// The local demo, end to end, against the emulator.
async fn demo(client: &SignInClient, phone: &str, inbox: &str) -> Result<(), ClientError> {
    println!("== sign up {phone}");
    match client.sign_up(phone).await {
        Ok(confirmed) => println!("signed up; confirmed by the pre-sign-up trigger: {confirmed}"),
        Err(ClientError::AlreadySignedUp) => println!("already signed up (an earlier run); going on"),
        Err(e) => return Err(e),
    }

    println!("\n== sign in (InitiateAuth, CUSTOM_AUTH)");
    let sent_before = emulator::sms_messages(inbox, phone)?.len();
    let Step::Challenge(challenge) = client.start(phone).await? else {
        return Err(ClientError::Unexpected("tokens without a code".into()));
    };
    println!("{}", challenge.describe());
    let texts = emulator::sms_messages(inbox, phone)?;
    let sms = texts.get(sent_before).ok_or_else(|| ClientError::Setup("the emulator received no SMS".into()))?;
    println!("the SMS, as the emulator received it:\n  {}", sms.replace('\n', "\n  "));

    println!("\n== a wrong code");
    let code = latest_code(inbox, phone, &challenge)?;
    let wrong = signin_client::different_code(&code);
    println!("answering {wrong}");
    let step = client.answer(phone, &challenge.session, &wrong).await?;
    let Step::Challenge(challenge) = step else {
        return Err(ClientError::Unexpected("a wrong code signed in".into()));
    };
    println!("refused; {}", challenge.describe());

    println!("\n== the right code");
    let from_inbox = !std::io::stdin().is_terminal();
    let tokens = interactive(client, phone, Step::Challenge(challenge), from_inbox.then_some(inbox)).await?;
    let sms_count = emulator::sms_messages(inbox, phone)?.len() - sent_before;
    println!("SMS sent in this sign-in: {sms_count}");
    print_tokens(&tokens)
}
