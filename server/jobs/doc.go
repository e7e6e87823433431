// Package jobs is the server's subject-training service: the HTTP API that takes a subject's
// photos and word, the queue of training jobs, their persistence on disk and the progress
// stream. It wraps package subject (stage: text embedding (+ residuals), where residuals are
// made) for people who train on the server rather than from the command line.
//
// A job is a folder under the data folder (jobs/<id>/: job.json, the uploaded photos, the
// finished residual and, while it runs, a checkpoint), so a restarted server lists finished
// jobs and their residuals, resumes jobs it was stopped in the middle of (from their last
// checkpoint) and marks as interrupted those it cannot resume. Jobs run one at a time by default
// (Config.Workers); the others wait in order and know their place in the queue.
//
// API (JSON; every refusal is a 4xx with {"error", "field", "code"}):
//
//	GET    /api/train/info            the model, default options and limits
//	POST   /api/train                 multipart: word, options, images (PNG, JPEG, WebP) -> 202 job
//	GET    /api/train                 every job, newest first
//	GET    /api/train/{id}            one job
//	GET    /api/train/{id}/events     server-sent events: state, progress (step, loss, steps/s, ETA)
//	POST   /api/train/{id}/cancel     stop a queued or running job
//	DELETE /api/train/{id}            forget a finished job and its files
//	GET    /api/train/{id}/residual   the residual file (.safetensors)
package jobs
