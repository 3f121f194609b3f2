#include "credentials/aws_time.h"

#include <fmt/format.h>

namespace oh::control::aws {
namespace {

struct Fields {
  int year;
  unsigned month, day;
  long long hours, minutes, seconds;
};

Fields fieldsOf(common::UnixSeconds time) {
  const auto days = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss clock{time - days};
  return {static_cast<int>(date.year()), static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
          clock.hours().count(), clock.minutes().count(), clock.seconds().count()};
}

// Exactly `width` decimal digits at text[at...].
std::optional<int> digits(std::string_view text, std::size_t at, std::size_t width) {
  int value = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::string amzDate(common::UnixSeconds time) {
  const Fields f = fieldsOf(time);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", f.year, f.month, f.day, f.hours, f.minutes, f.seconds);
}

std::string iso8601(common::UnixSeconds time) {
  const Fields f = fieldsOf(time);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", f.year, f.month, f.day, f.hours, f.minutes, f.seconds);
}

std::optional<common::UnixSeconds> parseIso8601(std::string_view text) {
  constexpr std::size_t kBase = 19;  // "YYYY-MM-DDTHH:MM:SS"
  if (text.size() < kBase + 1 || text.size() > 40 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' ||
      text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const std::string_view rest = text.substr(kBase, text.size() - kBase - 1);  // "" or ".fraction"
  if (!rest.empty()) {
    if (rest.size() < 2 || rest.front() != '.' || !digits(rest, 1, std::min<std::size_t>(rest.size() - 1, 9)) ||
        rest.size() > 10) {
      return std::nullopt;
    }
  }
  const auto year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second);
}

}  // namespace oh::control::aws
