// The route modules `engine containerd` serves, besides events and version.
import type { RouteModule } from "../server.ts";
import { containerRoutes } from "./containers.ts";
import { imageRoutes } from "./images.ts";
import { taskRoutes } from "./tasks.ts";

export const ROUTE_MODULES: RouteModule[] = [containerRoutes, taskRoutes, imageRoutes];
