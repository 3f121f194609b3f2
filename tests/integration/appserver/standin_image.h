#pragma once
// The app-server stand-in's image for the tests that run it (this directory's and the whole
// multi-user test's): its name, and a check that Podman's storage holds the image of the binary
// this build made (its label says which), rebuilding it when not. The ctest fixture
// appserver_standin_image normally built it already; a test run alone builds it itself.

#include <optional>
#include <string>

#include "podman_fixture.h"

namespace oh::testing {

// localhost/oh-appserver-standin:1.7.0
const std::string& standinImage();

// nullopt when the image holds this build's binary (built now if needed), else what failed.
std::optional<std::string> ensureStandinImage(const PodmanService& podman);

// The stand-in binary's path (for a test that needs its hash or its libraries).
std::string standinBinary();

}  // namespace oh::testing
