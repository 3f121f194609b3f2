#include "stacks/rules/rule.h"

namespace oh::infra::rules {

std::vector<Finding> checkApp(const std::vector<StackSpec>& app) {
  std::vector<Finding> findings;
  for (const auto& stack : app) {
    for (const auto& id : stack.template_.resourceOrder()) {
      const auto& resource = stack.template_.resource(id);
      for (const auto& rule : allRules()) {
        if (rule.check(resource) == Compliance::NonCompliant) {
          findings.push_back(Finding{stack.name, id, resource.type, rule.id, rule.explanation});
        }
      }
    }
  }
  return findings;
}

}  // namespace oh::infra::rules
