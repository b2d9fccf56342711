// The single list of the Engine API's route modules (the image engineer adds theirs here).
import type { Daemon } from "../daemon.ts";
import type { Route } from "../http/router.ts";
import { containerRoutes } from "./containers.ts";
import { execRoutes } from "./exec.ts";
import { imageRoutes } from "./images.ts";
import { systemRoutes } from "./system.ts";

export type RouteModule = (d: Daemon) => Route[];

export const ROUTE_MODULES: RouteModule[] = [
  systemRoutes,
  containerRoutes,
  execRoutes,
  imageRoutes,
];
