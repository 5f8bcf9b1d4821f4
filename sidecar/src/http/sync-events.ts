/**
 * `POST /_shim/events` (contract `sidecar_paths.events`): the shim's shutdown notify. The changes are already
 * durable in WordPress (pending markers), so this only records the snapshots in the queue and wakes the worker,
 * then answers 202 at once: the PHP side waits at most ~250 ms and never for a delivery.
 */
import { Router } from 'express';

import { contract } from '../contract/contract.ts';
import type { SyncFacade } from '../sync/ports.ts';
import { EventsBody } from '../sync/snapshot.ts';
import { AppError } from '../contract/errors.ts';
import { parseJsonBody } from './json-body.ts';
import { requireShim } from './locals.ts';

export function syncEventsRoute(sync: Pick<SyncFacade, 'recordEvents'>): Router {
  const router = Router();
  router.post(contract.sidecar_paths.events, (_req, res, next) => {
    const { auth } = requireShim(res);
    const parsed = EventsBody.safeParse(parseJsonBody(res.locals.rawBody ?? Buffer.alloc(0)));
    if (!parsed.success) {
      throw new AppError('BAD_REQUEST', 'The events body must be {"events":[...]}.', { field: 'events' });
    }
    sync.recordEvents(parsed.data.events).then((result) => {
      res.status(202).json({ success: true, data: result, request_id: auth.requestId });
    }, next);
  });
  return router;
}
