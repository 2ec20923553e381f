/** The metrics function's answer: Prometheus's text exposition format (version 0.0.4). */
import { z } from "zod";

export const PrometheusText = z.string().describe(
  "Prometheus text exposition: groundwork_function_requests_total and groundwork_function_request_duration_seconds (per function, route and status), groundwork_outbox_messages (by state), groundwork_outbox_oldest_due_seconds, groundwork_rate_limit_rejections_total (per limit), groundwork_cron_job_failures_24h",
);
