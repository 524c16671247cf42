// echarts with only what the dashboard draws (bars, lines, axes, tooltip, legend, aria,
// the SVG renderer): imported by name so the build leaves the rest of echarts out.
import { use, init } from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, SVGRenderer]);

export { init };
