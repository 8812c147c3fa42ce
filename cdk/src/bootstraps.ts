// The functions' code: release `bootstrap` executables, built by `cargo lambda` at synth time or
// taken from a directory built before (so a CI can synth without a Rust toolchain).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Architecture } from './settings.generated';

/** Where the bootstraps come from (SmsPasswordlessProps.bootstraps and cargoWorkspace). */
export interface BootstrapSource {
  readonly bootstraps?: string;
  readonly cargoWorkspace?: string;
}

/** The repository this package is in (src/ or lib/ sit in cdk/, one level below it). */
export const REPOSITORY = resolve(__dirname, '..', '..');

// ELF's e_machine (the 2 bytes at offset 18, little-endian) of each architecture.
const MACHINE: Record<Architecture, number> = { [Architecture.ARM64]: 0xb7, [Architecture.X86_64]: 0x3e };

// One build per workspace, architecture and set of binaries in a process: several instances of
// the construct (or synths in one test run) build once.
const built = new Set<string>();

/**
 * The directory holding `bootstrap` for each of `binaries` (keyed by binary), checked to be a
 * Linux executable for `architecture`. `logicalIds` maps each binary to its function's logical id
 * in template.yaml, the directory name `sam build` gives it.
 */
export function bootstrapDirs(
  binaries: ReadonlyMap<string, string>,
  architecture: Architecture,
  source: BootstrapSource,
): Map<string, string> {
  const dirs = new Map<string, string>();
  if (source.bootstraps !== undefined) {
    const root = resolve(source.bootstraps);
    for (const [binary, logicalId] of binaries) {
      // `sam build` writes <dir>/<LogicalId>/bootstrap, `cargo lambda build` <dir>/<binary>/bootstrap.
      const tried = [join(root, logicalId), join(root, binary)];
      const dir = tried.find((d) => existsSync(join(d, 'bootstrap')));
      if (!dir) {
        throw new Error(
          `bootstraps: no ${binary} bootstrap in ${root} (looked for ${tried.map((d) => join(d, 'bootstrap')).join(' and ')}); ` +
            'build them with `sam build` (.aws-sam/build) or `cargo lambda build --release` (target/lambda)',
        );
      }
      dirs.set(binary, dir);
    }
  } else {
    const workspace = resolve(source.cargoWorkspace ?? REPOSITORY);
    const lambdaDir = join(workspace, 'target', 'lambda-cdk', architecture);
    build(workspace, lambdaDir, [...binaries.keys()], architecture);
    for (const binary of binaries.keys()) dirs.set(binary, join(lambdaDir, binary));
  }
  for (const [binary, dir] of dirs) checkArchitecture(join(dir, 'bootstrap'), binary, architecture);
  return dirs;
}

function build(workspace: string, lambdaDir: string, binaries: string[], architecture: Architecture): void {
  const key = JSON.stringify([workspace, architecture, [...binaries].sort()]);
  if (built.has(key)) return;
  if (!existsSync(join(workspace, 'Cargo.toml'))) {
    throw new Error(`cargoWorkspace: no Cargo.toml in ${workspace}; give the repository's root, or prebuilt bootstraps`);
  }
  const args = ['lambda', 'build', '--release', architecture === Architecture.ARM64 ? '--arm64' : '--x86-64'];
  args.push('--lambda-dir', lambdaDir, ...binaries.flatMap((b) => ['--bin', b]));
  // Progress to stderr: a CDK app's stdout may be read (cdk synth --quiet, tests).
  const run = spawnSync('cargo', args, { cwd: workspace, stdio: ['ignore', process.stderr, process.stderr] });
  if (run.error || run.status !== 0) {
    const why = run.error ? run.error.message : `exit status ${run.status}`;
    throw new Error(
      `cargo ${args.join(' ')} failed in ${workspace} (${why}). It needs Rust, cargo-lambda and zig ` +
        '(make tools, then source tools/env.sh); or pass `bootstraps`, a directory built before',
    );
  }
  built.add(key);
}

/** Refuses a file that is not a Linux executable for `architecture` (64-bit ELF, right machine). */
function checkArchitecture(file: string, binary: string, architecture: Architecture): void {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  const elf64 = header.readUInt32BE(0) === 0x7f454c46 && header[4] === 2;
  const machine = header.readUInt16LE(18);
  if (!elf64 || machine !== MACHINE[architecture]) {
    const found = Object.entries(MACHINE).find(([, m]) => m === machine)?.[0];
    const what = !elf64 ? 'not a 64-bit Linux executable' : `built for ${found ?? `machine 0x${machine.toString(16)}`}`;
    throw new Error(`${file} (${binary}) is ${what}; the functions' architecture is ${architecture}`);
  }
  if ((statSync(file).mode & 0o111) === 0) {
    throw new Error(`${file} (${binary}) is not executable; Lambda runs it as is (chmod +x)`);
  }
}
