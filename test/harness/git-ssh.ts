// The Git fixture's SSH side: a private, foreground OpenSSH sshd on a free loopback port with its own
// host key, one authorised client key and a known_hosts line for it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { userInfo } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { freePort } from "./pki.js";
import { must, run } from "./proc.js";
import { tool } from "./tools.js";

/** SshServer is a running sshd that serves the fixture's repositories over ssh://. */
export interface SshServer {
  proc: ChildProcess;
  /**
   * sshBase is `ssh://<sshUser>@127.0.0.1:<port>`. The user is the local account running the
   * fixture (sshd can only log in the account it runs as, or any account when run as root, and
   * there is no `git` account here), so it is `root` when the tests run as root.
   */
  sshBase: string;
  /** sshUser is the user name in sshBase: the local account that runs sshd (os.userInfo().username). */
  sshUser: string;
  /** sshIdentity is the OpenSSH-format private key (ed25519, no passphrase) of the client key sshd authorises. */
  sshIdentity: string;
  /** sshIdentityFile is a file (mode 0600) holding sshIdentity, ready for `ssh -i`. */
  sshIdentityFile: string;
  /** knownHosts is the known_hosts line for the server's host key: `[127.0.0.1]:<port> ssh-ed25519 AAAA...`. */
  knownHosts: string;
  /** knownHostsFile is a file holding knownHosts, ready for `ssh -o UserKnownHostsFile=`. */
  knownHostsFile: string;
}

/** sshBanner resolves true once a TCP connection to port gets an `SSH-` banner. */
function sshBanner(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const sock = connect({ host: "127.0.0.1", port });
    let buf = "";
    const done = (ok: boolean) => {
      sock.destroy();
      resolvePromise(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.on("error", () => done(false));
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      if (buf.includes("\n")) done(buf.startsWith("SSH-"));
    });
    sock.on("close", () => done(buf.startsWith("SSH-")));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * startSshd writes keys and an sshd_config into dir and starts sshd on a free port (three tries), resolving
 * once it answers with its banner. Sessions get `home` as HOME and git's directory on PATH.
 */
export async function startSshd(opts: { dir: string; home: string; gitPath: string; log: (line: string) => void }): Promise<SshServer> {
  let sshd: ChildProcess | undefined;
  const keygen = tool("ssh-keygen");
  const hostKey = join(opts.dir, "host_ed25519");
  const clientKey = join(opts.dir, "client_ed25519");
  await Promise.all([
    must(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "fluxiac-git-server", "-f", hostKey]),
    must(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "fluxiac-test-client", "-f", clientKey]),
  ]);
  const sshIdentity = await readFile(clientKey, "utf8");
  const clientPub = (await readFile(clientKey + ".pub", "utf8")).trim();
  const hostPub = (await readFile(hostKey + ".pub", "utf8")).trim().split(/\s+/).slice(0, 2).join(" ");
  const authorizedKeys = join(opts.dir, "authorized_keys");
  await writeFile(authorizedKeys, `restrict ${clientPub}\n`, { mode: 0o600 });

  const sshUser = userInfo().username;
  const sshdBin = tool("sshd");
  const sshdConfig = join(opts.dir, "sshd_config");
  const sessionPath = [...new Set([dirname(opts.gitPath), "/usr/local/bin", "/usr/bin", "/bin"])].join(":");

  let port = 0;
  let lastErr = "";
  for (let attempt = 0; attempt < 3 && !sshd; attempt++) {
    port = await freePort();
    await writeFile(
      sshdConfig,
      [
        `Port ${port}`,
        `ListenAddress 127.0.0.1`,
        `AddressFamily inet`,
        `HostKey ${hostKey}`,
        `PidFile ${join(opts.dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        `AuthorizedPrincipalsFile none`,
        `StrictModes no`,
        `UsePAM no`,
        `PasswordAuthentication no`,
        `KbdInteractiveAuthentication no`,
        `PubkeyAuthentication yes`,
        `AuthenticationMethods publickey`,
        `PermitRootLogin prohibit-password`,
        `AllowUsers ${sshUser}`,
        `UseDNS no`,
        `PrintMotd no`,
        `PrintLastLog no`,
        `X11Forwarding no`,
        `AllowTcpForwarding no`,
        `MaxStartups 64`,
        `LogLevel VERBOSE`,
        // git over SSH sends the protocol version this way (protocol v2).
        `AcceptEnv GIT_PROTOCOL`,
        // A private HOME keeps the account's shell rc files and ~/.gitconfig out of the session.
        `SetEnv "HOME=${opts.home}" "PATH=${sessionPath}" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    await checkSshdConfig(sshdBin, sshdConfig, opts.log);

    const proc = spawn(sshdBin, ["-D", "-e", "-f", sshdConfig], { stdio: ["ignore", "ignore", "pipe"], env: process.env });
    let stderr = "";
    let exited = false;
    const listening = new Promise<boolean>((r) => {
      proc.stderr!.setEncoding("utf8");
      let partial = "";
      proc.stderr!.on("data", (d: string) => {
        if (stderr.length < 64 * 1024) stderr += d;
        partial += d;
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
          opts.log(`sshd: ${line}`);
          if (line.includes("Server listening on")) r(true);
        }
      });
      proc.once("exit", () => {
        exited = true;
        r(false);
      });
      proc.once("error", (err) => {
        stderr += String(err);
        exited = true;
        r(false);
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 20_000)));
    let ok = await Promise.race([listening, timeout]);
    clearTimeout(timer);
    if (ok) {
      // The log line comes right after bind(); confirm the daemon really answers.
      ok = false;
      for (let i = 0; i < 100 && !exited; i++) {
        if (await sshBanner(port)) {
          ok = true;
          break;
        }
        await sleep(100);
      }
    }
    if (ok && !exited) {
      sshd = proc;
      proc.unref();
      (proc.stderr as unknown as { unref?: () => void }).unref?.();
    } else {
      proc.kill("SIGKILL");
      lastErr = stderr.trim();
      opts.log(`sshd: failed to start on port ${port} (attempt ${attempt + 1}): ${lastErr}`);
    }
  }
  if (!sshd) throw new Error(`sshd did not start: ${lastErr}`);

  const sshBase = `ssh://${sshUser}@127.0.0.1:${port}`;
  const knownHosts = `[127.0.0.1]:${port} ${hostPub}`;
  const knownHostsFile = join(opts.dir, "known_hosts");
  await writeFile(knownHostsFile, knownHosts + "\n", { mode: 0o600 });
  return { proc: sshd, sshBase, sshUser, sshIdentity, sshIdentityFile: clientKey, knownHosts, knownHostsFile };
}

/**
 * checkSshdConfig runs `sshd -t`; as root, it creates a missing privilege-separation directory
 * (which sshd requires and which only the openssh-server service would otherwise create).
 */
async function checkSshdConfig(sshdBin: string, config: string, log: (line: string) => void): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const r = await run(sshdBin, ["-t", "-f", config]);
    if (r.code === 0) return;
    const out = (r.stderr + r.stdout).trim();
    const m = /Missing privilege separation directory: (\S+)/.exec(out);
    if (m && i === 0 && process.getuid?.() === 0 && isAbsolute(m[1]!) && !existsSync(m[1]!)) {
      log(`sshd: creating privilege separation directory ${m[1]}`);
      mkdirSync(m[1]!, { recursive: true, mode: 0o755 });
      continue;
    }
    throw new Error(`sshd -t -f ${config} failed: ${out}`);
  }
}
