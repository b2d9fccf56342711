// The single list of the Engine API's route modules (the image engineer adds theirs here).
import type { Daemon } from "../daemon.ts";
import type { Route } from "../http/router.ts";
import { buildRoutes } from "./build.ts";
import { containerRoutes } from "./containers.ts";
import { execRoutes } from "./exec.ts";
import { fileRoutes } from "./files.ts";
import { imageRoutes } from "./images.ts";
import { networkRoutes } from "./networks.ts";
import { systemRoutes } from "./system.ts";
import { volumeRoutes } from "./volumes.ts";

export type RouteModule = (d: Daemon) => Route[];

export const ROUTE_MODULES: RouteModule[] = [
  networkRoutes, // before systemRoutes too (its 404 stubs)
  volumeRoutes, // before systemRoutes: its GET /volumes/:name 404 stub predates volumes
  systemRoutes,
  containerRoutes,
  execRoutes,
  imageRoutes,
  fileRoutes,
  buildRoutes,
];
