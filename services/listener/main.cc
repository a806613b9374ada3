// carecast-listener: composition only. Reads the configuration, connects to NATS
// and Redis through the service host, and serves ListenerService over gRPC plus
// the mention webhook (POST /v1/mentions) and /metrics over HTTP until SIGTERM.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "services/common/base/env_config.h"
#include "services/common/base/ids.h"
#include "services/common/http/curl_http_client.h"
#include "services/common/startup/exit_code.h"
#include "services/common/startup/service_host.h"
#include "services/common/startup/service_startup.h"
#include "services/common/store/outbox_metrics.h"
#include "services/common/text/text_analyzer.h"
#include "services/listener/engine_classifier.h"
#include "services/listener/listener.h"
#include "services/listener/listener_config.h"
#include "services/listener/listener_grpc_service.h"
#include "services/listener/listener_metrics.h"
#include "services/listener/listener_roles.h"
#include "services/listener/mention_webhook.h"
#include "services/listener/meta_webhook.h"
#include "services/listener/source_factory.h"
#include "services/listener/sources/instagram_mention_reader.h"
#include "services/listener/sources_config.h"
#include "services/listener/text_engine_holder.h"

namespace {

namespace common = carecast::common;
namespace listener = carecast::listener;

// Adds to `core` every mention source of the file at `path` (none when empty);
// how many. INVALID_ARGUMENT or FAILED_PRECONDITION names the file, source
// and field at fault, never a token.
absl::StatusOr<size_t> AddMentionSources(const std::string& path, listener::Listener& core,
                                         common::HttpClient& http, const common::Clock& clock) {
  if (path.empty()) return 0;
  absl::StatusOr<std::string> text = common::ReadSecretFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<listener::SourceSpec>> specs = listener::ParseSourcesConfig(*text);
  if (!specs.ok()) return specs.status();
  // Distinct per process: the lease names the replica reading a source.
  const char* pod = std::getenv("HOSTNAME");
  const std::string holder = absl::StrCat(pod != nullptr ? pod : "listener", "-", common::NewId());
  for (const listener::SourceSpec& spec : *specs) {
    std::string token;
    if (!spec.token_file.empty()) {
      absl::StatusOr<std::string> read = common::ReadSecretFile(spec.token_file);
      if (!read.ok() || read->empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "mention source ", spec.name, ": its token_file cannot be read or is empty"));
      }
      token = *std::move(read);
    }
    absl::StatusOr<std::unique_ptr<listener::MentionSource>> source =
        listener::MakeMentionSource(spec, std::move(token), http, clock);
    if (!source.ok()) return source.status();
    core.AddSource(*std::move(source),
                   {.kind = spec.kind, .period = spec.period, .holder = holder});
  }
  return specs->size();
}

// The Meta webhook (null when its secrets are not configured) and the reader
// it uses for Instagram mentions (null without the Instagram token).
struct MetaParts {
  std::unique_ptr<listener::InstagramMentionReader> instagram;
  std::unique_ptr<listener::MetaWebhook> webhook;
};

// Reads the Meta secrets and the Instagram token; FAILED_PRECONDITION or
// INVALID_ARGUMENT names the file that cannot be read or is empty.
absl::Status MakeMetaWebhook(const listener::ListenerConfig& config, listener::Listener& core,
                             listener::ListenerMetrics& metrics, common::Logger& logger,
                             common::HttpClient& http, MetaParts& out) {
  if (config.meta_app_secret_file.empty()) return absl::OkStatus();
  auto read = [](const std::string& path, const char* name) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> secret = common::ReadSecretFile(path);
    if (!secret.ok()) return secret.status();
    if (secret->empty())
      return absl::InvalidArgumentError(absl::StrCat(name, ": the file is empty"));
    return secret;
  };
  absl::StatusOr<std::string> app_secret =
      read(config.meta_app_secret_file, "CARECAST_LISTENER_META_APP_SECRET_FILE");
  if (!app_secret.ok()) return app_secret.status();
  absl::StatusOr<std::string> verify_token =
      read(config.meta_verify_token_file, "CARECAST_LISTENER_META_VERIFY_TOKEN_FILE");
  if (!verify_token.ok()) return verify_token.status();
  if (!config.instagram_token_file.empty()) {
    absl::StatusOr<std::string> token =
        read(config.instagram_token_file, "CARECAST_LISTENER_INSTAGRAM_TOKEN_FILE");
    if (!token.ok()) return token.status();
    out.instagram = std::make_unique<listener::InstagramMentionReader>(
        listener::InstagramMentionReaderSettings{.graph_url = config.graph_url,
                                                 .token = *std::move(token)},
        http);
  }
  out.webhook = std::make_unique<listener::MetaWebhook>(
      core, listener::MetaWebhookSecrets{*std::move(app_secret), *std::move(verify_token)}, metrics,
      logger, out.instagram.get());
  return absl::OkStatus();
}

}  // namespace

int main() {
  namespace common = carecast::common;
  namespace listener = carecast::listener;
  using common::ExitCode;

  absl::StatusOr<listener::ListenerConfig> config =
      listener::ReadListenerConfig(common::ProcessEnv());
  if (!config.ok()) return common::ServiceHost::RefuseConfiguration("listener", config.status());
  common::ServiceHost host(config->common);
  if (std::optional<int> failed = host.Connect()) return *failed;

  // The built-in taxonomy and the configured keywords until others are set
  // (SetTopicTaxonomy, SetTrackedKeywords); the holder swaps engines in place.
  auto engines = listener::TextEngineHolder::Create(common::text::DefaultTextConfig(),
                                                    config->options.tracked_keywords);
  if (!engines.ok()) {
    return host.Fail("cannot build the text engine with the tracked keywords", engines.status(),
                     ExitCode::kConfig);
  }
  listener::EngineClassifier classifier(**engines);
  listener::ListenerMetrics metrics(host.registry());
  common::OutboxMetrics outbox_metrics(host.registry(), listener::Listener::EntityBuckets());
  auto core = listener::Listener::Create(
      config->options, {.buckets = host.nats(),
                        .bus = host.nats(),
                        .index = host.index(),
                        .classifier = classifier,
                        .metrics = metrics,
                        .clock = host.clock(),
                        .logger = host.logger(),
                        .outbox_observer = outbox_metrics,
                        .keyword_sink =
                            [&engines](std::vector<std::string> k) {
                              return (*engines)->ReplaceTrackedKeywords(std::move(k));
                            },
                        .taxonomy_sink =
                            [&engines](std::string taxonomy) {
                              return (*engines)->ReplaceTaxonomy(std::move(taxonomy));
                            }});
  if (!core.ok()) {
    return host.Fail("cannot open the listener buckets", core.status(), ExitCode::kDependency);
  }
  // The networks' own mention feeds (read by one replica at a time, from
  // stored cursors: source_poller.h).
  common::CurlHttpClient source_http;
  absl::StatusOr<size_t> source_count =
      AddMentionSources(config->sources_file, **core, source_http, host.clock());
  if (!source_count.ok()) {
    return host.Fail("cannot set up the mention sources", source_count.status(), ExitCode::kConfig);
  }
  // The outbox relay and the consumer that opens inbox items from classified
  // mentions (what a crash between the two steps left undone).
  if (absl::Status s = (*core)->Start(); !s.ok()) {
    return host.Fail("cannot start the listener's background work", s, ExitCode::kDependency);
  }
  // Build the inbox index now (from KV when Redis lost it) rather than on the
  // first listing; a failure here is not fatal because listings retry it.
  if (absl::Status s = (*core)->WarmInboxIndex(); !s.ok()) {
    host.logger().Warn("inbox index not built at start", {{"error", std::string(s.message())}});
  }

  listener::ListenerGrpcService grpc_service(**core, host.Edge(listener::ListenerRoleTable()));
  std::string webhook_secret;
  if (!config->webhook_secret_file.empty()) {
    absl::StatusOr<std::string> secret = common::ReadSecretFile(config->webhook_secret_file);
    if (!secret.ok() || secret->empty()) {
      return host.Fail(
          "cannot read CARECAST_LISTENER_WEBHOOK_SECRET_FILE",
          secret.ok() ? absl::InvalidArgumentError("the file is empty") : secret.status(),
          ExitCode::kConfig);
    }
    webhook_secret = *std::move(secret);
  }
  listener::MentionWebhook webhook(**core, host.authenticator(), host.roles(), metrics,
                                   host.logger(), webhook_secret);
  host.AddPostRoute(
      std::string(listener::kWebhookPath),
      [&webhook](const common::HttpRequest& request) { return webhook.Handle(request); });
  // Meta's webhook, and the Graph API reader of Instagram mentions (ids only).
  MetaParts meta_parts;
  if (absl::Status s =
          MakeMetaWebhook(*config, **core, metrics, host.logger(), source_http, meta_parts);
      !s.ok()) {
    return host.Fail("cannot set up the Meta webhook", s, ExitCode::kConfig);
  }
  if (meta_parts.webhook != nullptr) {
    listener::MetaWebhook& meta = *meta_parts.webhook;
    host.AddGetRoute(std::string(listener::kMetaWebhookPath),
                     [&meta](const common::HttpRequest& request) { return meta.Verify(request); });
    host.AddPostRoute(
        std::string(listener::kMetaWebhookPath),
        [&meta](const common::HttpRequest& request) { return meta.Receive(request); });
  }
  return host.Serve(
      {.grpc_services = {&grpc_service},
       .started_message = "listener started",
       .started_fields = {{"tracked_keywords",
                           static_cast<int64_t>(config->options.tracked_keywords.size())},
                          {"mention_sources", static_cast<int64_t>(*source_count)}},
       .stop = [&core] { (*core)->Stop(); }});
}
