// oh-infra: the OpenHands-on-AWS stacks as a CDK app in C++.
//
//   CDK app protocol   the CDK CLI runs `oh-infra` (cdk.json "app") with CDK_OUTDIR and
//                      CDK_CONTEXT_JSON set: synthesize the cloud assembly into CDK_OUTDIR.
//   oh-infra synth --out DIR [--context k=v ...]   the same without the CLI.
//   oh-infra cost [--context k=v ...]              the monthly cost estimate.
//
// Context problems are printed one per line on stderr (the CLI shows them) with exit code 1.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "assembly/cloud_assembly.h"
#include "context/context_sources.h"
#include "cost/cost_estimate.h"
#include "stacks/app.h"

namespace {

using namespace oh::infra;

constexpr int kExitContext = 1;
constexpr int kExitFailure = 2;

std::optional<AppContext> contextOrReport(const EnvironmentLookup& environment,
                                          const std::vector<std::string>& pairs) {
  ContextResult result = loadAppContext(environment, pairs);
  if (auto* problems = std::get_if<std::vector<ContextProblem>>(&result)) {
    for (const auto& problem : *problems) std::cerr << "oh-infra: " << problem.message << "\n";
    return std::nullopt;
  }
  AppContext context = std::get<AppContext>(std::move(result));
  // The gateway's Docker build context: the CLI runs the app from the folder of cdk.json.
  if (const auto root = environment("OH_PROJECT_ROOT"); root && !root->empty()) {
    context.project_root = *root;
  } else {
    std::error_code ec;
    context.project_root = std::filesystem::current_path(ec).string();
  }
  return context;
}

int synthesize(const EnvironmentLookup& environment, const std::vector<std::string>& pairs,
               const std::filesystem::path& out_dir) {
  const auto context = contextOrReport(environment, pairs);
  if (!context) return kExitContext;
  const std::vector<StackSpec> stacks = buildApp(*context);
  const std::vector<AssemblyFile> files = renderAssembly(stacks, out_dir);
  if (const std::string error = writeAssembly(files, out_dir); !error.empty()) {
    std::cerr << "oh-infra: " << error << "\n";
    return kExitFailure;
  }
  return 0;
}

int run(int argc, char** argv) {
  const EnvironmentLookup environment = processEnvironment();

  // The CLI's app protocol: no arguments of ours, the output directory in the environment.
  if (const auto out = environment("CDK_OUTDIR"); out && !out->empty() && argc == 1) {
    return synthesize(environment, {}, *out);
  }

  CLI::App app{"oh-infra: the OpenHands-on-AWS stacks as a CDK cloud assembly"};
  app.require_subcommand(1);
  std::vector<std::string> pairs;
  std::string out_dir = "cdk.out";

  auto* synth = app.add_subcommand("synth", "write the cloud assembly (what `cdk synth` asks the app for)");
  synth->add_option("-o,--out", out_dir, "output directory")->capture_default_str();
  synth->add_option("-c,--context", pairs, "context value key=value (repeatable)");

  auto* cost = app.add_subcommand("cost", "print the estimated monthly cost of the configuration");
  cost->add_option("-c,--context", pairs, "context value key=value (repeatable)");

  CLI11_PARSE(app, argc, argv);

  if (synth->parsed()) return synthesize(environment, pairs, out_dir);
  if (cost->parsed()) {
    const auto context = contextOrReport(environment, pairs);
    if (!context) return kExitContext;
    // What the templates of this context create, so the estimate cannot drift from them.
    std::vector<boost::json::object> templates;
    for (const auto& stack : buildApp(*context)) templates.push_back(stack.template_.toJson());
    std::cout << renderCostTable(estimateMonthlyCost(*context, countBilledResources(templates)));
    return 0;
  }
  return kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    // A stack definition error (a bug, not user input): say what, fail the synthesis.
    std::cerr << "oh-infra: internal error: " << error.what() << "\n";
    return kExitFailure;
  }
}
