#pragma once
// The header fields of every message the gateway parses, edits and relays: Beast's container
// with a polymorphic allocator, so an exchange can place its fields in an arena of its own
// (one bump of a pointer per field, nothing freed one by one) instead of the heap. Fields made
// without an allocator use the heap, as Beast's default ones do.

#include <memory_resource>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

namespace oh::gateway {

using FieldAllocator = std::pmr::polymorphic_allocator<char>;
using Fields = boost::beast::http::basic_fields<FieldAllocator>;
using RequestHeader = boost::beast::http::header<true, Fields>;
using ResponseHeader = boost::beast::http::header<false, Fields>;

}  // namespace oh::gateway
