#pragma once
// The CDK cloud assembly for a list of stacks, as aws-cdk-lib's DefaultStackSynthesizer (default
// qualifier) and CloudAssemblyBuilder write it, so the stock CDK CLI can list, diff, deploy and
// destroy the stacks: manifest.json (schema 55.0.0), the `cdk.out` marker, and per stack
// {Stack}.template.json (with the BootstrapVersion parameter and CheckBootstrapVersion rule) and
// {Stack}.assets.json (the template as a file asset, Docker images, bootstrap roles).

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "stacks/stack_spec.h"

namespace oh::infra {

inline constexpr const char* kCloudAssemblySchemaVersion = "55.0.0";

struct AssemblyFile {
  std::string name;     // file name inside the output directory
  std::string content;  // exact bytes
};

// The template as deployed: the stack's template plus what the synthesizer adds.
boost::json::object synthesizedTemplate(const StackSpec& stack);

// Every file of the assembly, manifest.json last. `out_dir` is where the files will live: Docker
// build contexts are written relative to it, as the asset manifest schema requires.
// Throws std::invalid_argument on an unusable stack list (duplicate or invalid names, unknown
// or cyclic dependencies): programming errors in the stacks, never user input.
std::vector<AssemblyFile> renderAssembly(const std::vector<StackSpec>& stacks,
                                         const std::filesystem::path& out_dir);

// Writes the files into `out_dir` (created if needed): each is written to a private temporary
// folder inside out_dir and renamed into place, manifest.json last, so a reader never sees a
// manifest naming files that are not complete. Returns "" on success, else the error.
std::string writeAssembly(const std::vector<AssemblyFile>& files, const std::filesystem::path& out_dir);

}  // namespace oh::infra
