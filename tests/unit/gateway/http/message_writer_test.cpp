#include "http/message_writer.h"

#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/ostream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

namespace http = boost::beast::http;

// What Beast's own serializer writes for a message: the reference for the head writer.
template <class Message>
std::string beastSerialized(const Message& message) {
  std::string out;
  boost::beast::error_code ec;
  http::serializer<Message::is_request::value, typename Message::body_type, typename Message::fields_type> sr(message);
  sr.split(true);
  while (!sr.is_header_done()) {
    sr.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
      for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
           ++it) {
        out.append(static_cast<const char*>((*it).data()), (*it).size());
      }
      sr.consume(boost::asio::buffer_size(buffers));
    });
  }
  return out;
}

template <bool isRequest>
http::message<isRequest, http::string_body> parsed(const std::string& bytes) {
  http::parser<isRequest, http::string_body> parser;
  parser.eager(true);
  boost::beast::error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(used, bytes.size());
  EXPECT_TRUE(parser.is_done());
  return parser.release();
}

// This test verifies a request head is byte for byte what Beast's serializer writes.
TEST(MessageWriterTest, RequestHeadMatchesBeast) {
  http::request<http::string_body, Fields> request(http::verb::post, "/api/conversations?x=1&y=%2F", 11);
  request.set(http::field::host, "openhands.example.com");
  request.set("X-Forwarded-For", "203.0.113.9, 10.0.0.2");
  request.insert(http::field::cookie, "a=1");
  request.insert(http::field::cookie, "b=2");
  request.set("x-custom-CASE", "kept as sent");
  request.set(http::field::content_length, "0");
  std::string out;
  appendRequestHead(out, request.base());
  EXPECT_EQ(out, beastSerialized(request));
  const auto back = parsed<true>(out);
  EXPECT_EQ(back.target(), "/api/conversations?x=1&y=%2F");
  EXPECT_EQ(back.count(http::field::cookie), 2u);
}

// This test verifies an unknown method and an HTTP/1.0 version are written as they are.
TEST(MessageWriterTest, RequestHeadUnknownMethodAndVersion) {
  http::request<http::string_body, Fields> request;
  request.method_string("PROPFIND");
  request.target("/dav/");
  request.version(10);
  request.set(http::field::host, "a.test");
  std::string out;
  appendRequestHead(out, request.base());
  EXPECT_EQ(out, "PROPFIND /dav/ HTTP/1.0\r\nHost: a.test\r\n\r\n");
  EXPECT_EQ(out, beastSerialized(request));
}

// This test verifies a response head keeps the upstream's reason text, else gets the standard one.
TEST(MessageWriterTest, ResponseHeadReasons) {
  http::response<http::string_body, Fields> custom(http::status::ok, 11);
  custom.reason("Fine Thanks");
  custom.set(http::field::content_type, "text/html");
  custom.insert(http::field::set_cookie, "a=1; Path=/");
  custom.insert(http::field::set_cookie, "b=2; Path=/");
  std::string out;
  appendResponseHead(out, custom.base());
  EXPECT_EQ(out, "HTTP/1.1 200 Fine Thanks\r\nContent-Type: text/html\r\nSet-Cookie: a=1; Path=/\r\n"
                 "Set-Cookie: b=2; Path=/\r\n\r\n");
  EXPECT_EQ(out, beastSerialized(custom));

  http::response<http::string_body, Fields> standard(http::status::not_found, 11);
  out.clear();
  appendResponseHead(out, standard.base());
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\n\r\n");

  http::response<http::string_body, Fields> odd;
  odd.result(599);
  out.clear();
  appendResponseHead(out, odd.base());
  EXPECT_EQ(out, beastSerialized(odd));
}

// This test verifies the writer appends (a head can follow bytes already in the buffer).
TEST(MessageWriterTest, Appends) {
  http::response<http::string_body, Fields> response(http::status::no_content, 11);
  std::string out = "kept";
  appendResponseHead(out, response.base());
  EXPECT_EQ(out, "keptHTTP/1.1 204 No Content\r\n\r\n");
}

// This test verifies no value, target or reason can break a line: CR and LF become spaces, so
// a hostile value cannot add a header or a second response.
TEST(MessageWriterTest, LineBreaksInValuesNeutralised) {
  http::response<http::string_body, Fields> response(http::status::ok, 11);
  response.reason("OK\r\nX-Injected: 1");
  response.set("X-Email", "eve@example.com\r\nSet-Cookie: oh_session=stolen\n\rX: y\r");
  response.set(http::field::content_length, "0");
  std::string out;
  appendResponseHead(out, response.base());
  EXPECT_EQ(out, "HTTP/1.1 200 OK  X-Injected: 1\r\nX-Email: eve@example.com  Set-Cookie: oh_session=stolen  X: y \r\n"
                 "Content-Length: 0\r\n\r\n");
  const auto back = parsed<false>(out);
  EXPECT_EQ(back.count("X-Injected"), 0u);
  EXPECT_EQ(back.count(http::field::set_cookie), 0u);

  http::request<http::string_body, Fields> request(http::verb::get, "/a\r\nHost: evil", 11);
  request.set(http::field::host, "a.test");
  out.clear();
  appendRequestHead(out, request.base());
  EXPECT_EQ(out, "GET /a  Host: evil HTTP/1.1\r\nHost: a.test\r\n\r\n");
}

// This test verifies the line-break check at every position of values from 1 to 40 bytes (it
// reads eight bytes at a time, then the rest), and that the bytes next to CR and LF, and the
// same bytes with the high bit set, are not taken for line breaks.
TEST(MessageWriterTest, LineBreakAtEveryPosition) {
  for (std::size_t length = 1; length <= 40; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (const char line_break : {'\r', '\n'}) {
        std::string value(length, 'v');
        value[at] = line_break;
        http::response<http::string_body, Fields> response(http::status::ok, 11);
        response.set("X-Value", value);
        std::string out;
        appendResponseHead(out, response.base());
        EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nX-Value: " + std::string(length, 'v').replace(at, 1, " ") + "\r\n\r\n")
            << "length " << length << " at " << at;
      }
    }
  }
  std::string near = "\x0b\x09\x0c\x0e\x8a\x8d\x2a\x2d\xff\x01";  // not leading with a tab: set() trims it
  near += near;  // 20 bytes: two words and a tail
  http::response<http::string_body, Fields> response(http::status::ok, 11);
  response.set("X-Near", near);
  std::string out;
  appendResponseHead(out, response.base());
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nX-Near: " + near + "\r\n\r\n");
}

// This test verifies an empty field value and many fields are written (no size assumption).
TEST(MessageWriterTest, EmptyValuesAndManyFields) {
  http::request<http::string_body, Fields> request(http::verb::get, "/", 11);
  request.set("X-Empty", "");
  for (int i = 0; i < 500; ++i) {
    request.insert("X-Field-" + std::to_string(i), std::string(100, 'v'));
  }
  std::string out;
  appendRequestHead(out, request.base());
  EXPECT_EQ(out, beastSerialized(request));
  EXPECT_NE(out.find("X-Empty: \r\n"), std::string::npos);
}

std::string framed(BodyFraming& framing, std::string_view piece, bool last) {
  const auto frame = framing.frame(piece.size(), last);
  return std::string(frame.prefix) + std::string(piece) + std::string(frame.suffix);
}

// This test verifies chunked framing: hex sizes, the last chunk on its own or after data, and an
// empty piece in the middle writing nothing; a Beast parser reads back the body.
TEST(MessageWriterTest, ChunkedFraming) {
  BodyFraming framing(true);
  EXPECT_TRUE(framing.chunked());
  EXPECT_EQ(framed(framing, "hello", false), "5\r\nhello\r\n");
  EXPECT_EQ(framed(framing, "", false), "");
  EXPECT_EQ(framed(framing, std::string(255, 'x'), false), "ff\r\n" + std::string(255, 'x') + "\r\n");
  EXPECT_EQ(framed(framing, std::string(4096, 'y'), false).substr(0, 6), "1000\r\n");
  EXPECT_EQ(framed(framing, "end", true), "3\r\nend\r\n0\r\n\r\n");
  EXPECT_EQ(framed(framing, "", true), "0\r\n\r\n");
  EXPECT_EQ(framing.frame(0x7fffffffffffffffULL, false).prefix, "7fffffffffffffff\r\n");

  std::string message = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string body;
  for (std::size_t i = 0; i < 50; ++i) {
    const std::string piece(i * 37 % 300, static_cast<char>('a' + i % 26));
    message += framed(framing, piece, false);
    body += piece;
  }
  message += framed(framing, "tail", true);
  body += "tail";
  EXPECT_EQ(parsed<false>(message).body(), body);
}

// This test verifies a body without chunked coding is written as it is, with no framing.
TEST(MessageWriterTest, IdentityFraming) {
  BodyFraming framing(false);
  EXPECT_FALSE(framing.chunked());
  EXPECT_EQ(framed(framing, "raw bytes", false), "raw bytes");
  EXPECT_EQ(framed(framing, "", true), "");
  EXPECT_EQ(framed(framing, "last", true), "last");
}

}  // namespace
}  // namespace oh::gateway
