#include "validate_command.h"

#include <cstdio>

#include "hil/plan/plan_parser.h"

namespace hil::cli {

void AddValidateCommand(CLI::App& app, int& exit_code) {
  auto path = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand(
      "validate",
      "Check a test plan: YAML, keys, types, files, boards and the matrix, all before\n"
      "any device is touched. Every problem is printed as FILE:LINE:COL: message.\n\n"
      "Examples:\n"
      "  hil validate testplans/quickstart.yaml\n\n"
      "Exit codes: 0 valid, 2 invalid.");
  command->add_option("plan", *path, "The plan (YAML)")->required();
  command->add_flag("-q,--quiet", *quiet, "Print nothing when the plan is valid");
  command->callback([path, quiet, &exit_code] {
    Result<plan::Plan> parsed = plan::ParsePlanFile(*path);
    if (!parsed.ok()) {
      std::fprintf(stderr, "%s\n", parsed.error().message().c_str());
      exit_code = ExitCodeFor(parsed.error().kind());
      return;
    }
    const std::vector<plan::Case> cases = plan::ExpandMatrix(*parsed);
    if (!*quiet) {
      std::printf("%s: valid plan '%s', %zu cases on the %s bench\n", path->c_str(),
                  parsed->name.c_str(), cases.size(), ToText(parsed->bench.kind).data());
      for (const plan::Case& c : cases) std::printf("  %s\n", c.id.c_str());
    }
    exit_code = kExitOk;
  });
}

}  // namespace hil::cli
