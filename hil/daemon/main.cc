// hild: the bench daemon. Owns the benches of a bench file, queues plans
// submitted over its API (hil/daemon/API.md) and runs them, one job per
// bench at a time.
#include <signal.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "hil/daemon/daemon.h"

int main(int argc, char** argv) {
  CLI::App app(
      "hild: the hil bench daemon. Reads a bench file, owns its benches, and runs the\n"
      "plans submitted with 'hil submit' (or POST /jobs), one job per bench at a time,\n"
      "different benches in parallel. Jobs live in STATE_DIR/jobs.db; a job that was\n"
      "running when hild died is queued again at the next start, its finished cases\n"
      "kept. SIGTERM or SIGINT: finish each running case, re-queue its job, exit.\n\n"
      "Examples:\n"
      "  hild --config /etc/hild/benches.yaml\n"
      "  hild --config benches.yaml --socket /tmp/hild.sock\n\n"
      "One hild per state folder: a second one exits 3 naming the first one's pid.\n\n"
      "Exit codes: 0 stopped by a signal, 2 a bad bench file, 3 cannot start (another\n"
      "hild owns the state folder, the socket or port is taken, the state folder).",
      "hild");
  std::string config_path, socket;
  app.add_option("--config", config_path, "The bench file (YAML; see hil/daemon/API.md)")
      ->required();
  app.add_option("--socket", socket, "Unix socket path (overrides the bench file)");
  CLI11_PARSE(app, argc, argv);

  hil::Result<hil::daemon::DaemonConfig> config = hil::daemon::ReadDaemonConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "hild: %s\n", config.error().message().c_str());
    return hil::ExitCodeFor(config.error().kind());
  }
  if (!socket.empty()) config->socket_path = socket;
  // Everything hild creates (jobs.db, the outputs, the socket before its
  // chmod to 0660) is its user's alone: plans and results are not for
  // every account on a lab host.
  ::umask(0077);
  // Signals are taken by sigwait below, in the main thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is not a reason to die

  hil::daemon::Daemon daemon(*config);
  const hil::Status started = daemon.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "hild: %s\n", started.error().ToString().c_str());
    daemon.Stop();
    return hil::ExitCodeFor(started.error().kind());
  }
  std::fprintf(
      stderr, "hild: %zu bench(es), listening on %s%s\n", config->benches.size(),
      config->socket_path.c_str(),
      config->tcp_port > 0
          ? (" and " + config->tcp_address + ":" + std::to_string(config->tcp_port)).c_str()
          : "");
  int received = 0;
  sigwait(&signals, &received);
  std::fprintf(stderr, "hild: %s: finishing the cases in progress\n",
               received == SIGTERM ? "SIGTERM" : "SIGINT");
  daemon.Stop();
  std::fprintf(stderr, "hild: stopped\n");
  return 0;
}
