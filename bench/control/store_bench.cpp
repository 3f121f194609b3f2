// The sandbox store's reads as the service makes them (get for status, list by owner for
// /list), with 10 and with 10,000 sandboxes recorded, on SQLite and on PostgreSQL 15 (a private
// cluster on a Unix socket: no network in the path), measured in one run. Printed after
// Google Benchmark's table: how flat each read is (time at 10,000 / time at 10; issue 13 asks
// for flat) and PostgreSQL against SQLite, by wall clock and by this process's CPU time (the
// steadier of the two when the machine is busy). A measurement, not a test: it asserts nothing.
//
//   build/release/bench/control/store_bench [--benchmark_min_time=0.5]

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "store/sandbox_store.h"
#include "support/private_postgres.h"

namespace {

using oh::control::SandboxRecord;
using oh::control::SandboxStorePtr;

constexpr int kPerOwner = 5;  // each owner's sandboxes: what /list returns

// A sandbox as the service records one (a realistic spec: the app server sends ~20 variables).
SandboxRecord recordFor(int index) {
  SandboxRecord record;
  record.id = "Sbx" + std::to_string(index) + "aB3xY9";
  record.owner = "owner-" + std::to_string(index / kPerOwner);
  record.spec.image = "ghcr.io/openhands/agent-server:1.7.0-python";
  record.spec.command = {"/usr/local/bin/openhands-agent-server", "--port", "8000"};
  record.spec.working_dir = "/workspace/project";
  for (int v = 0; v < 20; ++v) {
    record.spec.environment.emplace_back("OH_VARIABLE_" + std::to_string(v), std::string(40, 'v'));
  }
  record.sealed_keys = std::string(120, 'k');
  record.created_at = 1'700'000'000 + index;
  record.updated_at = record.created_at;
  return record;
}

// Fills store with count records; false (with the reason printed) on the first failure.
bool populate(const SandboxStorePtr& store, int count) {
  for (int i = 0; i < count; ++i) {
    auto inserted = store->insert(recordFor(i));
    if (!inserted || !*inserted) {
      std::fprintf(stderr, "populating failed at %d: %s\n", i, inserted ? "duplicate" : inserted.error().reason.c_str());
      return false;
    }
  }
  return true;
}

// Keeps each benchmark's time per iteration for the ratios.
class RatioReporter final : public benchmark::ConsoleReporter {
public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.iterations > 0) {
        real_ns_[run.benchmark_name()] = run.GetAdjustedRealTime();
        cpu_ns_[run.benchmark_name()] = run.GetAdjustedCPUTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  // Time per read (wall clock, or this process's CPU: steadier on a loaded machine).
  double at(const std::string& name, bool cpu) const {
    const auto& times = cpu ? cpu_ns_ : real_ns_;
    const auto found = times.find(name);
    return found == times.end() ? 0 : found->second;
  }

  // numerator / denominator, by wall clock and by CPU time.
  void printRatio(const std::string& label, const std::string& numerator, const std::string& denominator) const {
    const auto ratio = [&](bool cpu) { return at(denominator, cpu) > 0 ? at(numerator, cpu) / at(denominator, cpu) : 0.0; };
    std::printf("  %-28s %8.2f %8.2f\n", label.c_str(), ratio(false), ratio(true));
  }

private:
  std::map<std::string, double> real_ns_;
  std::map<std::string, double> cpu_ns_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string error;
  auto postgres = oh::testing::PrivatePostgres::start(error);
  if (!postgres) {
    std::fprintf(stderr, "cannot start PostgreSQL: %s\n", error.c_str());
    return 1;
  }
  std::string directory = (std::filesystem::temp_directory_path() / "oh-store-bench-XXXXXX").string();
  if (::mkdtemp(directory.data()) == nullptr) {
    return 1;
  }
  std::map<std::string, SandboxStorePtr> stores;  // "sqlite/10" … "postgresql/10000"
  for (const int count : {10, 10'000}) {
    const std::string sqlite_url = "sqlite://" + directory + "/s" + std::to_string(count) + ".db";
    const std::string postgres_url = postgres->createDatabase("bench" + std::to_string(count), error);
    for (const auto& [backend, url] : {std::pair<std::string, std::string>{"sqlite", sqlite_url}, {"postgresql", postgres_url}}) {
      auto store = oh::control::openSandboxStore(url);
      if (!store || !populate(*store, count)) {
        std::fprintf(stderr, "cannot prepare %s: %s\n", url.c_str(), store ? "" : store.error().reason.c_str());
        return 1;
      }
      stores[backend + "/" + std::to_string(count)] = *store;
    }
  }
  for (const auto& [name, store] : stores) {
    const int count = std::stoi(name.substr(name.find('/') + 1));
    // The middle record and its owner: neither the first nor the last in any index.
    const SandboxRecord probe = recordFor(count / 2);
    benchmark::RegisterBenchmark(("get/" + name).c_str(), [store = store, probe](benchmark::State& state) {
      for (auto _ : state) {
        auto found = store->get(probe.id);
        benchmark::DoNotOptimize(found);
      }
    });
    benchmark::RegisterBenchmark(("list_by_owner/" + name).c_str(), [store = store, probe](benchmark::State& state) {
      for (auto _ : state) {
        auto listed = store->list(std::string_view(probe.owner));
        benchmark::DoNotOptimize(listed);
      }
    });
  }
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  std::printf("\n%-30s %8s %8s\n", "flatness (10,000 / 10 records)", "wall", "cpu");
  for (const std::string read : {"get", "list_by_owner"}) {
    for (const std::string backend : {"sqlite", "postgresql"}) {
      const std::string base = read + "/" + backend + "/";
      reporter.printRatio(read + " " + backend, base + "10000", base + "10");
    }
  }
  std::printf("%-30s %8s %8s\n", "PostgreSQL / SQLite", "wall", "cpu");
  for (const std::string read : {"get", "list_by_owner"}) {
    for (const std::string count : {"10", "10000"}) {
      reporter.printRatio(read + " at " + count, read + "/postgresql/" + count, read + "/sqlite/" + count);
    }
  }
  stores.clear();
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
  benchmark::Shutdown();
  return 0;
}
